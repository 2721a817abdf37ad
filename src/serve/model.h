// What the serving daemon serves: a model version loaded from a repository directory. Each model
// kind (the trainer's MLP classifier, its char transformer) is one file implementing Model; the
// daemon, protocols and batcher only see this interface.
//
// Thread-safety: a Model is called by one worker at a time (its version's batcher owns it), so
// implementations may keep scratch buffers. info() is immutable after loading.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "models/checkpoint.h"
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
  bool batchable = false;             // requests may be joined along the first dimension
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

// Loads DIR/<model>/<version>/: model.h5 (a `slipway train` checkpoint) and config.json. The kind
// is read from the checkpoint's signature.
Result<std::unique_ptr<Model>> load_model(const std::filesystem::path& version_dir,
                                          const Json& config);

// One factory per kind (mlp_model.cc, gpt_model.cc): the checkpoint read from `path`.
Result<std::unique_ptr<Model>> make_mlp_model(models::CheckpointState ck, const std::string& path,
                                              const Json& config);
Result<std::unique_ptr<Model>> make_gpt_model(models::CheckpointState ck, const std::string& path,
                                              const Json& config);

}  // namespace slipway::serve
