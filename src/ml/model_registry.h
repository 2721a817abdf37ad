// Registering a trained model: the version is published into a model repository directory (what
// `slipway serve` serves) and recorded in the store's registry with its lineage (the run, task
// and artifact that produced it), its metrics, its training data's reference statistics (for the
// daemon's drift monitoring) and a stage.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/status.h"
#include "store/store.h"

namespace slipway::ml {

struct RegisterRequest {
  // A `slipway train` checkpoint (HDF5), or a model file of another served format: sklearn
  // (.joblib, .pkl, .pickle), xgboost (.bst, .json, .ubj), lightgbm (.bst, with format), onnx
  // (.onnx), pytorch (a TorchScript .pt). A file without such a name (a KFP Output[Model]) needs
  // `format`.
  std::string model_file;
  std::string format;  // "" = from the file: HDF5 is slipway's, else by the file's extension
  std::string name;
  std::filesystem::path repository;
  std::string metrics_file;    // JSON object of metrics, optional
  std::string reference_data;  // the training data (`slipway data import table` HDF5), optional
  std::string stage = "none";
  std::string run_id, task;  // lineage: who produced it (a task's SLIPWAY_RUN_ID / SLIPWAY_TASK)
};

// The repository layout's names, shared by the registry and the serving daemon: a model name is
// [A-Za-z0-9_.-], not starting with '.', at most 128 characters; a version is a positive decimal
// number under a billion (nullopt for anything else).
bool valid_model_name(const std::string& name);
// A version as `models ls --output json` and the server's API show it.
nlohmann::json model_version_json(const store::ModelVersionRecord& v);
std::optional<int> parse_version(const std::string& text);

// The format and the file name a model file is published under (KServe's layouts: model.joblib,
// model.bst, model.onnx, model.pt...). InvalidInput when neither `format` nor the file says.
Result<std::pair<std::string, std::string>> published_name(const std::string& model_file,
                                                           const std::string& format);

// Publishes DIR/<name>/<next version>/ (the model file under its layout name + config.json with
// its format, built aside and renamed into place, so a watching daemon never sees half a
// version) and records it in the store.
Result<store::ModelVersionRecord> register_model(store::Store& store, const RegisterRequest& r);

}  // namespace slipway::ml
