#include "serve/model.h"

#include <set>

#include "ml/mlp_checkpoint_eval.h"
#include "serve/python_model.h"

namespace slipway::serve {

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

Status check_inputs(const ModelInfo& info, const std::vector<Tensor>& inputs) {
  std::set<std::string> seen;
  for (const Tensor& t : inputs) {
    if (!seen.insert(t.name).second) return InvalidInput("input '" + t.name + "' is given twice");
    if (info.any_inputs) continue;
    const TensorSpec* spec = nullptr;
    for (const auto& s : info.inputs)
      if (s.name == t.name) spec = &s;
    if (!spec) {
      std::string names;
      for (const auto& s : info.inputs) names += (names.empty() ? "'" : ", '") + s.name + "'";
      return InvalidInput("input '" + t.name + "' is not one of this model's inputs (" + names +
                          ")");
    }
    if (t.datatype != spec->datatype)
      return InvalidInput("input '" + t.name + "' must be " + spec->datatype + ", got " +
                          t.datatype);
    bool fits = t.shape.size() == spec->shape.size();
    for (size_t i = 0; fits && i < t.shape.size(); ++i)
      fits = spec->shape[i] < 0 || spec->shape[i] == t.shape[i];
    if (!fits)
      return InvalidInput("input '" + t.name + "' has shape " + shape_text(t.shape) +
                          "; this model takes " + shape_text(spec->shape) + " (−1: any size)");
  }
  if (info.any_inputs) return Status::Ok();
  for (const auto& s : info.inputs)
    if (!seen.count(s.name)) return InvalidInput("input '" + s.name + "' is missing");
  return Status::Ok();
}

bool known_format(const std::string& format) {
  return format == "slipway" || format == "xgboost" || python_format(format);  // custom included
}

Result<std::string> detect_format(const std::filesystem::path& dir) {
  static const std::vector<std::pair<const char*, const char*>> files = {
      {"model.h5", "slipway"},     {"model.joblib", "sklearn"}, {"model.pkl", "sklearn"},
      {"model.pickle", "sklearn"}, {"model.bst", "xgboost"},    {"model.json", "xgboost"},
      {"model.ubj", "xgboost"},    {"model.onnx", "onnx"},      {"model.pt", "pytorch"}};
  std::error_code ec;
  for (const auto& [file, format] : files)
    if (std::filesystem::is_regular_file(dir / file, ec)) return std::string(format);
  return NotFound(dir.string() +
                  " holds no model file: looked for model.h5 (slipway), model.joblib, model.pkl "
                  "or model.pickle (sklearn), model.bst, model.json or model.ubj (xgboost; "
                  "model.bst is LightGBM's when the format says lightgbm), model.onnx (onnx), "
                  "model.pt (pytorch, TorchScript)");
}

namespace {

Result<std::unique_ptr<Model>> load_checkpoint(const std::filesystem::path& dir,
                                               const Json& config) {
  const std::filesystem::path h5 = dir / "model.h5";
  if (!std::filesystem::exists(h5))
    return NotFound(
        dir.string() +
        " has no model.h5 (a `slipway train` checkpoint, published by `slipway ml register`)");
  if (!ml::is_hdf5_file(h5.string()))
    return InvalidInput(h5.string() + " is not an HDF5 checkpoint");
  auto ck = models::read_checkpoint(h5.string());
  if (!ck.ok()) return ck.status();
  const std::string kind = ck->signature.substr(0, ck->signature.find(':'));
  if (kind == "mlp") return make_mlp_model(std::move(*ck), h5.string(), config);
  if (kind == "gpt") return make_gpt_model(std::move(*ck), h5.string(), config);
  return InvalidInput(h5.string() + " holds a '" + kind +
                      "' model; the daemon serves mlp and gpt checkpoints");
}

}  // namespace

Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& version_dir,
                                          const Json& config, const PythonRuntimeOptions& python) {
  std::filesystem::path dir = version_dir;
  if (config.contains("storage")) {
    if (!config["storage"].is_string())
      return InvalidInput("config.json: storage must be a directory path");
    dir = config["storage"].get<std::string>();
  }
  std::string format;
  if (config.contains("format")) {
    if (!config["format"].is_string() || !known_format(config["format"]))
      return InvalidInput("config.json: format " + config["format"].dump() +
                          " is not one the daemon serves (slipway, sklearn, xgboost, lightgbm, "
                          "onnx, pytorch)");
    format = config["format"];
  } else {
    auto detected = detect_format(dir);
    if (!detected.ok()) return detected.status();
    format = *detected;
  }
  if (format == "slipway") return load_checkpoint(dir, config);
  if (format == "xgboost") return make_xgboost_model(dir);
  return make_python_model(format, dir, python, config);
}

}  // namespace slipway::serve
