#include "train/trainer.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "core/files.h"
#include "core/json.h"
#include "core/status.h"
#include "h5/h5file.h"
#include "kernels/cpu/fast_ops.h"
#include "models/checkpoint.h"
#include "models/gpt.h"
#include "models/mlp.h"
#include "store/store.h"
#include "train/gpu_train.h"
#include "train/sampler.h"
#include "train/train_loop.h"

namespace slipway::train {

namespace {

Result<TableSplit> read_split(const h5::File& f, const std::string& split) {
  TableSplit t;
  auto shape = f.shape(split + "/features");
  if (!shape.ok())
    return InvalidInput(f.path() + " has no " + split + " table (" + shape.status().message() +
                        ")");
  if (shape->size() != 2)
    return InvalidInput(f.path() + ": " + split + "/features is not a 2-D table");
  t.rows = (*shape)[0];
  t.features = static_cast<int>((*shape)[1]);
  SLIPWAY_RETURN_IF_ERROR(f.read(split + "/features", &t.x));
  SLIPWAY_RETURN_IF_ERROR(f.read(split + "/labels", &t.y));
  if (t.y.size() != t.rows)
    return InvalidInput(f.path() + ": " + split + " has " + std::to_string(t.rows) + " rows but " +
                        std::to_string(t.y.size()) + " labels");
  return t;
}

// The cross-entropy (nats per token) of predicting the validation text from the training text's
// byte frequencies alone: the bar a language model must clear.
double unigram_loss(const std::vector<std::uint8_t>& train,
                    const std::vector<std::uint8_t>& valid) {
  std::array<double, 256> count{};
  for (auto b : train) count[b] += 1;
  double total = static_cast<double>(train.size()) + 256;  // add-one smoothing
  double loss = 0;
  for (auto b : valid) loss -= std::log((count[b] + 1) / total);
  return valid.empty() ? 0 : loss / static_cast<double>(valid.size());
}

Result<TrainResult> train_text(const h5::File& file, const TrainConfig& c,
                               const TrainerOptions& opts, const Comm& comm) {
  std::vector<std::uint8_t> train, valid;
  SLIPWAY_RETURN_IF_ERROR(file.read("train/tokens", &train));
  SLIPWAY_RETURN_IF_ERROR(file.read("valid/tokens", &valid));
  models::GptShape shape{c.vocab, c.context, c.layers, c.width, c.heads};
  if (valid.size() < static_cast<size_t>(c.context) + 1)
    return InvalidInput("data " + c.data + " holds " + std::to_string(valid.size()) +
                        " validation tokens, fewer than one window of " +
                        std::to_string(c.context + 1) +
                        "; import with a larger --valid-fraction or use a smaller context");
  double baseline = unigram_loss(train, valid);
  if (comm.rank() == 0) {
    std::printf("unigram_loss=%.6f\n", baseline);
    std::fflush(stdout);
  }
  Json meta = {{"vocab", c.vocab}, {"tokens", "bytes"}, {"unigram_loss", baseline}};
  if (c.device == "cuda") return train_text_gpu(shape, train, valid, c, opts, comm, meta.dump());
  auto run = [&](auto& model) -> Result<TrainResult> {
    TextTask<std::remove_reference_t<decltype(model)>> task{model, train, valid, c.context, {}};
    SLIPWAY_RETURN_IF_ERROR(DistributedSampler::check(task.rows(), c.batch_size, comm.world()));
    HostState state(comm, decay_mask(model), bucket_bytes(c));
    return run_loop(model, task, state, c, opts, comm, meta.dump());
  };
  if (c.kernels == "reference") {
    models::Gpt<float, models::RefOps> model(shape);
    return run(model);
  }
  models::Gpt<float, models::FastOps> model(shape);
  return run(model);
}

}  // namespace

Result<TrainResult> train(const TrainConfig& c, const TrainerOptions& opts, const Comm& comm) {
  if (c.data.empty())
    return InvalidInput(c.source_file + ": no data: set 'data' in the config or pass --data FILE");
  if (c.checkpoint_every > 0 && c.checkpoint_dir.empty())
    return InvalidInput(
        c.source_file +
        ": checkpoint.every needs a checkpoint directory (checkpoint.dir or --checkpoint-dir)");
  if (opts.resume && c.checkpoint_dir.empty())
    return InvalidInput(
        "--resume needs a checkpoint directory (checkpoint.dir or --checkpoint-dir)");
  int threads = c.threads;
  if (threads == 0 && std::getenv("OMP_NUM_THREADS"))
    threads = std::atoi(std::getenv("OMP_NUM_THREADS"));
  kernels::fast::set_threads(threads);
  auto file = h5::File::open_read(c.data);
  if (!file.ok())
    return InvalidInput("data: " + file.status().message() +
                        "; create it with `slipway data import`");
  auto kind = file->attr_string("kind");
  std::string want = c.model == "gpt" ? "text" : "table";
  if (!kind.ok() || *kind != want)
    return InvalidInput("data " + c.data + " is " +
                        (kind.ok() ? "a " + *kind + " dataset" : "not from `slipway data import`") +
                        "; the " + c.model + " model trains on " +
                        (want == "text" ? "text (`slipway data import text`)"
                                        : "a table (`slipway data import table`)"));
  if (c.model == "gpt") return train_text(*file, c, opts, comm);
  auto train_set = read_split(*file, "train");
  if (!train_set.ok()) return train_set.status();
  auto valid_set = read_split(*file, "valid");
  if (!valid_set.ok()) return valid_set.status();
  SLIPWAY_RETURN_IF_ERROR(DistributedSampler::check(train_set->rows, c.batch_size, comm.world()));
  auto classes = Json::parse(file->attr_string("classes").value_or("[]"), nullptr, false);
  // What a model needs to be used later: its inputs, its classes, and which rows it never saw.
  Json meta = {
      {"features", Json::parse(file->attr_string("features").value_or("[]"), nullptr, false)},
      {"classes", classes},
      {"label", file->attr_string("label").value_or("")},
      {"split", Json::parse(file->attr_string("split").value_or("{}"), nullptr, false)}};
  int n_classes = classes.is_array() ? static_cast<int>(classes.size()) : 0;
  for (const auto* s : {&*train_set, &*valid_set})
    for (auto label : s->y)
      if (label < 0 || label >= n_classes)
        return InvalidInput("data " + c.data + " has a label " + std::to_string(label) +
                            " outside its " + std::to_string(n_classes) + " classes");
  if (c.kernels == "reference") {
    models::Mlp<float, models::RefOps> model(train_set->features, c.hidden, n_classes);
    TableTask<decltype(model)> task{model, *train_set, *valid_set, {}, {}};
    HostState state(comm, decay_mask(model), bucket_bytes(c));
    return run_loop(model, task, state, c, opts, comm, meta.dump());
  }
  models::Mlp<float, models::FastOps> model(train_set->features, c.hidden, n_classes);
  TableTask<decltype(model)> task{model, *train_set, *valid_set, {}, {}};
  HostState state(comm, decay_mask(model), bucket_bytes(c));
  return run_loop(model, task, state, c, opts, comm, meta.dump());
}

}  // namespace slipway::train
