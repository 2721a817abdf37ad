// What the serving daemon serves: a model version loaded from a repository directory. Each model
// kind (the trainer's MLP classifier, its char transformer) is one file implementing Model; the
// daemon, protocols and batcher only see this interface.
//
// Thread-safety: a Model is called by one worker at a time (its version's batcher owns it), so
// implementations may keep scratch buffers, unless its info().concurrency says it takes more.
// info() is immutable after loading.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "models/checkpoint.h"
#include "serve/metrics.h"
#include "serve/tensor.h"

namespace slipway::serve {

struct TensorSpec {
  std::string name, datatype;
  std::vector<std::int64_t> shape;  // −1: any size
};

struct ModelInfo {
  std::string kind;      // mlp, gpt
  std::string platform;  // what /v2/models/{m} reports
  std::vector<TensorSpec> inputs, outputs;
  bool batchable = false;  // requests may be joined along the first dimension
  // Inputs and outputs are not fixed: any names, datatypes and shapes go to the model as sent
  // (KServe's Python runtimes take the first input, whatever its name); inputs/outputs above
  // then only describe what the model reports.
  bool any_inputs = false, any_outputs = false;
  // Calls the model takes at once (infer() is then thread-safe): a pool of worker processes.
  int concurrency = 1;
  // An idle model may run a request on the thread that read it (saving two hand-offs): right for
  // a model answering in microseconds, wrong for one that waits on another process, which would
  // hold the HTTP thread and hide the load from the batcher.
  bool run_inline = true;
  std::vector<std::string> features;  // names of the input's columns (drift statistics), if any
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelInfo& info() const = 0;
  // Runs one batch. The inputs were checked against info().inputs (check_inputs); every declared
  // output is returned, rows along the first dimension as the inputs'.
  virtual Result<std::vector<Tensor>> infer(const std::vector<Tensor>& inputs,
                                            const Json& parameters) = 0;
  // KServe v1: a predict request's `instances` as this model's inputs (and request-level
  // parameters such as max_tokens), and its outputs as the `predictions` list.
  virtual Result<std::vector<Tensor>> from_instances(const Json& instances,
                                                     Json* parameters) const = 0;
  virtual Json to_predictions(const std::vector<Tensor>& outputs) const = 0;
  // Requests queued or running for this version right now, told before each call: what a model
  // that scales its own workers sizes them by.
  virtual void set_demand(int /*requests_in_flight*/) {}
  // A model with costs of its own to show (a Python worker's hop) records them in `metrics`
  // under `labels` from now on; called once, after loading. `metrics` outlives the model.
  virtual void report_to(Metrics* /*metrics*/, const Labels& /*labels*/) {}
  // The numeric features of each row of checked inputs ([rows][features]), for drift monitoring;
  // empty for models without tabular inputs.
  virtual std::vector<std::vector<double>> feature_rows(
      const std::vector<Tensor>& /*inputs*/) const {
    return {};
  }
};

// Whether inputs match what the model declares: every input once, by name, with its datatype and
// a shape that fits (−1 matches any size). The error names the input and what was expected.
Status check_inputs(const ModelInfo& info, const std::vector<Tensor>& inputs);

// How a version's files are found and run: the model's format and the Python runtimes' settings.
struct PythonRuntimeOptions;

// The formats the daemon serves, by KServe's names: slipway (model.h5, a `slipway train`
// checkpoint), sklearn, xgboost, lightgbm, onnx, pytorch (TorchScript).
bool known_format(const std::string& format);

// The format of the model files in `dir` by KServe's layouts (model.joblib|pkl|pickle: sklearn;
// model.bst|json|ubj: xgboost; model.onnx; model.pt: pytorch; model.h5: slipway). LightGBM's
// model.bst is only told from XGBoost's by a declared format. NotFound names what was looked for.
Result<std::string> detect_format(const std::filesystem::path& dir);

// Loads DIR/<model>/<version>/ by its config.json: `format` (else detected) and `storage` (the
// directory holding the model files, else the version directory itself). A slipway checkpoint's
// kind is read from its signature.
Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& version_dir,
                                          const Json& config, const PythonRuntimeOptions& python);

// One factory per kind (mlp_model.cc, gpt_model.cc): the checkpoint read from `path`.
Result<std::unique_ptr<Model>> make_mlp_model(models::CheckpointState ck, const std::string& path,
                                              const Json& config);
// An XGBoost model file in `dir` (xgboost_model.cc), run through XGBoost's C API.
Result<std::unique_ptr<Model>> make_xgboost_model(const std::filesystem::path& dir);
Result<std::unique_ptr<Model>> make_gpt_model(models::CheckpointState ck, const std::string& path,
                                              const Json& config);

}  // namespace slipway::serve
