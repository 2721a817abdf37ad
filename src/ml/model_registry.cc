#include "ml/model_registry.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "core/clock.h"
#include "core/files.h"
#include "core/hash.h"
#include "h5/h5file.h"
#include "ml/feature_stats.h"
#include "ml/mlp_checkpoint_eval.h"

namespace slipway::ml {

namespace fs = std::filesystem;

namespace {

// Reference statistics of the training split of a `slipway data import table` file.
Result<Json> reference_of(const std::string& path) {
  auto f = h5::File::open_read(path);
  if (!f.ok()) return InvalidInput("reference data: " + f.status().message());
  auto shape = f->shape("train/features");
  if (!shape.ok() || shape->size() != 2)
    return InvalidInput("reference data " + path +
                        " has no train/features table (make it with `slipway data import table`)");
  std::vector<float> x;
  SLIPWAY_RETURN_IF_ERROR(f->read("train/features", &x));
  const size_t rows = (*shape)[0], cols = (*shape)[1];
  Json names = Json::parse(f->attr_string("features").value_or("[]"), nullptr, false);
  std::vector<std::string> features;
  for (size_t c = 0; c < cols; ++c)
    features.push_back(names.is_array() && c < names.size() && names[c].is_string()
                           ? names[c].get<std::string>()
                           : "feature_" + std::to_string(c));
  std::vector<std::vector<double>> data(rows, std::vector<double>(cols));
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) data[r][c] = x[r * cols + c];
  return feature_stats_to_json(compute_feature_stats(features, data));
}

int next_version(store::Store& store, const fs::path& dir, const std::string& name) {
  int version = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (auto v = parse_version(e.path().filename().string())) version = std::max(version, *v);
  for (const auto& v : store.list_model_versions(name)) version = std::max(version, v.version);
  return version + 1;
}

}  // namespace

nlohmann::json model_version_json(const store::ModelVersionRecord& v) {
  return {{"name", v.name},
          {"version", v.version},
          {"stage", v.stage},
          {"run", v.run_id},
          {"task", v.task},
          {"artifact", v.artifact_id},
          {"uri", v.uri},
          {"digest", v.digest},
          {"metrics", v.metrics},
          {"created_ms", v.created_ms},
          {"stage_changed_ms", v.stage_changed_ms},
          {"reference_features", v.reference.is_array() ? v.reference.size() : 0}};
}

bool valid_model_name(const std::string& name) {
  if (name.empty() || name[0] == '.' || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::optional<int> parse_version(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const int v = std::stoi(text);
  return v > 0 ? std::optional<int>(v) : std::nullopt;
}

Result<std::pair<std::string, std::string>> published_name(const std::string& model_file,
                                                           const std::string& format) {
  std::string ext = fs::path(model_file).extension().string();
  const bool hdf5 = is_hdf5_file(model_file);
  std::string f = format;
  if (f.empty()) {
    if (hdf5)
      f = "slipway";
    else if (ext == ".joblib" || ext == ".pkl" || ext == ".pickle")
      f = "sklearn";
    else if (ext == ".bst" || ext == ".json" || ext == ".ubj")
      f = "xgboost";
    else if (ext == ".onnx")
      f = "onnx";
    else if (ext == ".pt" || ext == ".pth")
      f = "pytorch";
    else
      return InvalidInput(model_file +
                          ": cannot tell the model's format from its name; give --format "
                          "(sklearn, xgboost, lightgbm, onnx, pytorch)");
  }
  if (f == "slipway") {
    if (!hdf5) return InvalidInput(model_file + " is not a `slipway train` checkpoint (HDF5)");
    return std::pair<std::string, std::string>{f, "model.h5"};
  }
  if (f == "sklearn")
    return std::pair<std::string, std::string>{
        f, ext == ".pkl" || ext == ".pickle" ? "model" + ext : "model.joblib"};
  if (f == "xgboost")
    return std::pair<std::string, std::string>{
        f, ext == ".json" || ext == ".ubj" ? "model" + ext : "model.bst"};
  if (f == "lightgbm") return std::pair<std::string, std::string>{f, "model.bst"};
  if (f == "onnx") return std::pair<std::string, std::string>{f, "model.onnx"};
  if (f == "pytorch") return std::pair<std::string, std::string>{f, "model.pt"};
  return InvalidInput("format '" + f +
                      "' is not one slipway serves (slipway, sklearn, xgboost, lightgbm, onnx, "
                      "pytorch)");
}

Result<store::ModelVersionRecord> register_model(store::Store& store, const RegisterRequest& r) {
  if (!valid_model_name(r.name))
    return InvalidInput("model name '" + r.name +
                        "' must be letters, digits, '_', '.' or '-' (not starting with '.')");
  if (!fs::is_regular_file(r.model_file)) return NotFound(r.model_file + " is not a file");
  auto layout = published_name(r.model_file, r.format);
  if (!layout.ok()) return layout.status();
  const auto& [format, file_name] = *layout;
  store::ModelVersionRecord v;
  v.name = r.name;
  v.stage = r.stage;
  v.run_id = r.run_id;
  v.task = r.task;
  if (!r.metrics_file.empty()) {
    auto text = read_file(r.metrics_file);
    if (!text.ok()) return text.status();
    v.metrics = Json::parse(*text, nullptr, false);
    if (!v.metrics.is_object())
      return InvalidInput(r.metrics_file + " is not a JSON object of metrics");
  }
  if (!r.reference_data.empty()) {
    auto ref = reference_of(r.reference_data);
    if (!ref.ok()) return ref.status();
    v.reference = *ref;
  }
  auto digest = digest_path(r.model_file);
  if (!digest.ok()) return digest.status();
  v.digest = digest->sha256;
  if (auto a = store.find_artifact_by_uri(fs::absolute(r.model_file).string()))
    v.artifact_id = a->id;
  // A version belongs to the namespace of the run that produced it.
  if (!v.run_id.empty())
    if (auto run = store.get_run(v.run_id); run.ok()) v.ns = run->ns;

  const fs::path dir = r.repository / r.name;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Failed("cannot create " + dir.string() + ": " + ec.message());
  // Another registration may take the same number between the scan and the rename: try the next.
  for (int attempt = 0; attempt < 20; ++attempt) {
    v.version = next_version(store, dir, r.name) + attempt;
    const fs::path tmp =
        dir / (".tmp-" + std::to_string(v.version) + "-" + std::to_string(::getpid()));
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    fs::copy_file(r.model_file, tmp / file_name, fs::copy_options::overwrite_existing, ec);
    if (ec) return Failed("cannot copy the model into " + tmp.string() + ": " + ec.message());
    Json config = {
        {"name", r.name}, {"version", v.version}, {"digest", v.digest}, {"format", format}};
    if (!v.run_id.empty()) config["run"] = v.run_id;
    if (!v.reference.empty()) config["reference"] = v.reference;
    SLIPWAY_RETURN_IF_ERROR(write_file_atomic(tmp / "config.json", dump_json(config, 2)));
    fs::rename(tmp, dir / std::to_string(v.version), ec);
    if (ec) {
      fs::remove_all(tmp, ec);
      continue;
    }
    v.uri = fs::absolute(dir / std::to_string(v.version)).string();
    v.created_ms = now_ms();
    if (Status s = store.insert_model_version(v); !s.ok()) {
      fs::remove_all(v.uri, ec);  // a version the registry does not know must not be served
      return s;
    }
    return v;
  }
  return Failed("could not find a free version number under " + dir.string());
}

}  // namespace slipway::ml
