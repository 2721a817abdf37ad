#include "train/train_config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>

#include "core/files.h"
#include "core/strings.h"
#include "core/yaml_reader.h"

namespace slipway::train {

namespace {

// "optimizer.lr=0.02": the value is read as YAML, so lists and numbers keep their types.
Status apply_override(YAML::Node& doc, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    return InvalidInput("--set '" + assignment + "' is not KEY=VALUE (e.g. optimizer.lr=0.01)");
  std::vector<std::string> path = split(assignment.substr(0, eq), '.');
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    return InvalidInput("--set '" + assignment + "': the value is not valid YAML: " + e.msg);
  }
  YAML::Node node;
  node.reset(doc);
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!node[path[i]] || !node[path[i]].IsMap()) node[path[i]] = YAML::Node(YAML::NodeType::Map);
    YAML::Node next = node[path[i]];
    node.reset(next);
  }
  node[path.back()] = value;
  return Status::Ok();
}

}  // namespace

Result<TrainConfig> parse_train_config(const std::string& yaml_text, const std::string& file,
                                       const std::vector<std::string>& overrides) {
  TrainConfig c;
  c.source_file = file;
  YamlReader p(file);
  YAML::Node doc;
  try {
    doc = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidInput(file + ":" + std::to_string(e.mark.line + 1) +
                        ": not valid YAML: " + e.msg);
  }
  if (!doc.IsMap()) return InvalidInput(file + ": a training config is a mapping");
  for (const auto& o : overrides) SLIPWAY_RETURN_IF_ERROR(apply_override(doc, o));
  SLIPWAY_RETURN_IF_ERROR(
      p.keys(doc,
             {"model", "data", "batch_size", "steps", "epochs", "seed", "optimizer", "schedule",
              "log_every", "eval_every", "checkpoint", "bucket_mb", "kernels", "threads", "device"},
             "the config"));
  const YAML::Node& d = doc;
  if (YAML::Node m = d["model"]) {
    SLIPWAY_RETURN_IF_ERROR(
        p.keys(m, {"kind", "hidden", "layers", "width", "heads", "context", "vocab"}, "model"));
    SLIPWAY_RETURN_IF_ERROR(p.get(m, "kind", &c.model, "model"));
    SLIPWAY_RETURN_IF_ERROR(p.get(m, "hidden", &c.hidden, "model"));
    for (auto [k, v] : std::vector<std::pair<const char*, int*>>{{"layers", &c.layers},
                                                                 {"width", &c.width},
                                                                 {"heads", &c.heads},
                                                                 {"context", &c.context},
                                                                 {"vocab", &c.vocab}})
      SLIPWAY_RETURN_IF_ERROR(p.get(m, k, v, "model"));
    if (c.model != "mlp" && c.model != "gpt")
      return p.where(m, "model.kind '" + c.model + "' is not known; use mlp or gpt");
    for (int h : c.hidden)
      if (h < 1 || h > 1 << 20)
        return p.where(m, "model.hidden sizes must be between 1 and 1048576");
    if (c.model == "gpt") {
      if (c.layers < 1 || c.width < 1 || c.heads < 1 || c.context < 1)
        return p.where(m, "model layers, width, heads and context must be at least 1");
      // Tokens are bytes; a larger vocabulary only adds rows no byte selects (GPT-2's 50304 for
      // throughput comparisons with the models the field measures).
      if (c.vocab < 256 || c.vocab > 1 << 20)
        return p.where(m, "model.vocab must be between 256 (the byte tokens) and 1048576");
      if (c.width % c.heads != 0)
        return p.where(m, "model.width " + std::to_string(c.width) + " does not divide into " +
                              std::to_string(c.heads) + " heads");
    }
  }
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "data", &c.data, "config"));
  if (!c.data.empty() && !std::filesystem::path(c.data).is_absolute() && !file.empty())
    c.data = (std::filesystem::path(file).parent_path() / c.data).lexically_normal().string();
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "batch_size", &c.batch_size, "config"));
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "steps", &c.steps, "config"));
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "epochs", &c.epochs, "config"));
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "seed", &c.seed, "config"));
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "log_every", &c.log_every, "config"));
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "eval_every", &c.eval_every, "config"));
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "bucket_mb", &c.bucket_mb, "config"));
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "kernels", &c.kernels, "config"));
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "threads", &c.threads, "config"));
  SLIPWAY_RETURN_IF_ERROR(p.get(d, "device", &c.device, "config"));
  if (YAML::Node o = d["optimizer"]) {
    SLIPWAY_RETURN_IF_ERROR(
        p.keys(o, {"lr", "weight_decay", "beta1", "beta2", "eps", "grad_clip"}, "optimizer"));
    for (auto [k, v] :
         std::vector<std::pair<const char*, double*>>{{"lr", &c.lr},
                                                      {"weight_decay", &c.weight_decay},
                                                      {"beta1", &c.beta1},
                                                      {"beta2", &c.beta2},
                                                      {"eps", &c.eps},
                                                      {"grad_clip", &c.grad_clip}})
      SLIPWAY_RETURN_IF_ERROR(p.get(o, k, v, "optimizer"));
  }
  if (YAML::Node s = d["schedule"]) {
    SLIPWAY_RETURN_IF_ERROR(p.keys(s, {"warmup", "min_lr_ratio"}, "schedule"));
    SLIPWAY_RETURN_IF_ERROR(p.get(s, "warmup", &c.warmup, "schedule"));
    SLIPWAY_RETURN_IF_ERROR(p.get(s, "min_lr_ratio", &c.min_lr_ratio, "schedule"));
  }
  if (YAML::Node k = d["checkpoint"]) {
    SLIPWAY_RETURN_IF_ERROR(p.keys(k, {"dir", "every", "keep"}, "checkpoint"));
    SLIPWAY_RETURN_IF_ERROR(p.get(k, "dir", &c.checkpoint_dir, "checkpoint"));
    SLIPWAY_RETURN_IF_ERROR(p.get(k, "every", &c.checkpoint_every, "checkpoint"));
    SLIPWAY_RETURN_IF_ERROR(p.get(k, "keep", &c.checkpoint_keep, "checkpoint"));
  }
  std::vector<std::string> bad;
  if (c.batch_size < 1) bad.push_back("batch_size must be at least 1");
  if ((c.steps > 0) == (c.epochs > 0))
    bad.push_back("give exactly one of steps and epochs (more than 0)");
  if (c.lr <= 0) bad.push_back("optimizer.lr must be more than 0");
  if (c.beta1 < 0 || c.beta1 >= 1 || c.beta2 < 0 || c.beta2 >= 1)
    bad.push_back("optimizer.beta1 and beta2 must be in [0, 1)");
  if (c.min_lr_ratio < 0 || c.min_lr_ratio > 1)
    bad.push_back("schedule.min_lr_ratio must be in [0, 1]");
  if (c.warmup < 0 || c.log_every < 1 || c.eval_every < 0)
    bad.push_back("warmup, eval_every must be 0 or more and log_every at least 1");
  if (c.checkpoint_keep < 1) bad.push_back("checkpoint.keep must be at least 1");
  if (c.bucket_mb <= 0) bad.push_back("bucket_mb must be more than 0");
  if (c.kernels != "fast" && c.kernels != "reference")
    bad.push_back("kernels must be fast or reference");
  if (c.device != "cpu" && c.device != "cuda")
    bad.push_back("device must be cpu or cuda, not '" + c.device + "'");
  if (c.device == "cuda" && c.model != "gpt")
    bad.push_back("device cuda trains the gpt model; the " + c.model + " model runs on device cpu");
  if (c.device == "cuda" && c.kernels == "reference")
    bad.push_back(
        "kernels: reference is the CPU's plain loops; use kernels: fast with device cuda");
  if (!bad.empty()) return InvalidInput(file + ": " + join(bad, "; "));
  if (!c.checkpoint_dir.empty() && !std::filesystem::path(c.checkpoint_dir).is_absolute() &&
      !file.empty())
    c.checkpoint_dir =
        (std::filesystem::path(file).parent_path() / c.checkpoint_dir).lexically_normal().string();
  return c;
}

Result<TrainConfig> load_train_config(const std::string& path,
                                      const std::vector<std::string>& overrides) {
  auto text = read_file(path);
  if (!text.ok()) return text.status();
  return parse_train_config(*text, path, overrides);
}

double learning_rate(const TrainConfig& c, std::int64_t step, std::int64_t total_steps) {
  if (c.warmup > 0 && step < c.warmup)
    return c.lr * static_cast<double>(step + 1) / static_cast<double>(c.warmup);
  double span = static_cast<double>(std::max<std::int64_t>(1, total_steps - c.warmup));
  double progress = std::min(1.0, static_cast<double>(step - c.warmup) / span);
  double min_lr = c.lr * c.min_lr_ratio;
  return min_lr + 0.5 * (c.lr - min_lr) * (1 + std::cos(M_PI * progress));
}

}  // namespace slipway::train
