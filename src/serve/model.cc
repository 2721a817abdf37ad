#include "serve/model.h"

#include <set>

#include "ml/mlp_checkpoint_eval.h"

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
  for (const auto& s : info.inputs)
    if (!seen.count(s.name)) return InvalidInput("input '" + s.name + "' is missing");
  return Status::Ok();
}

Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& version_dir,
                                          const Json& config) {
  const std::filesystem::path h5 = version_dir / "model.h5";
  if (!std::filesystem::exists(h5))
    return NotFound(
        version_dir.string() +
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

}  // namespace slipway::serve
