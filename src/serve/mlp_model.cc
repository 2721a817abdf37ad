// The trainer's MLP classifier, served. Input `input-0` FP32 [rows, features]; outputs `predict`
// (INT64 class index, what KServe's sklearn server returns for iris), `probabilities` (FP32
// [rows, classes]) and `label` (BYTES, the class name). KServe v1 instances are rows of numbers
// or objects keyed by feature name.
#include <algorithm>
#include <cmath>

#include "core/strings.h"
#include "models/mlp.h"
#include "serve/model.h"

namespace slipway::serve {

namespace {

class MlpModel : public Model {
 public:
  MlpModel(std::vector<int> sizes, models::CheckpointState ck, std::vector<std::string> features,
           std::vector<std::string> classes)
      : net_(sizes.front(), std::vector<int>(sizes.begin() + 1, sizes.end() - 1), sizes.back()),
        params_(std::move(ck.params)),
        classes_(std::move(classes)) {
    const auto F = static_cast<std::int64_t>(sizes.front()),
               K = static_cast<std::int64_t>(sizes.back());
    info_.kind = "mlp";
    info_.platform = "slipway_mlp";
    info_.batchable = true;
    info_.features = std::move(features);
    info_.inputs = {{"input-0", "FP32", {-1, F}}};
    info_.outputs = {
        {"predict", "INT64", {-1}}, {"probabilities", "FP32", {-1, K}}, {"label", "BYTES", {-1}}};
  }

  const ModelInfo& info() const override { return info_; }

  Result<std::vector<Tensor>> infer(const std::vector<Tensor>& inputs, const Json&) override {
    const Tensor& in = inputs[0];
    const int rows = static_cast<int>(in.shape[0]), K = net_.classes();
    x_.assign(in.numbers.begin(), in.numbers.end());
    const std::vector<float>& logits = net_.logits(x_.data(), rows, params_.data());
    Tensor predict{"predict", "INT64", {rows}, {}, {}, Json::object()};
    Tensor probs{"probabilities", "FP32", {rows, K}, {}, {}, Json::object()};
    Tensor label{"label", "BYTES", {rows}, {}, {}, Json::object()};
    for (int r = 0; r < rows; ++r) {
      const float* l = logits.data() + static_cast<size_t>(r) * K;
      const int best = static_cast<int>(std::max_element(l, l + K) - l);
      double sum = 0;
      for (int k = 0; k < K; ++k) sum += std::exp(static_cast<double>(l[k] - l[best]));
      for (int k = 0; k < K; ++k)
        probs.numbers.push_back(std::exp(static_cast<double>(l[k] - l[best])) / sum);
      predict.numbers.push_back(best);
      label.strings.push_back(best < static_cast<int>(classes_.size())
                                  ? classes_[static_cast<size_t>(best)]
                                  : std::to_string(best));
    }
    return std::vector<Tensor>{std::move(predict), std::move(probs), std::move(label)};
  }

  Result<std::vector<Tensor>> from_instances(const Json& instances, Json*) const override {
    const auto F = static_cast<size_t>(info_.inputs[0].shape[1]);
    Tensor t{"input-0",
             "FP32",
             {static_cast<std::int64_t>(instances.size()), static_cast<std::int64_t>(F)},
             {},
             {},
             Json::object()};
    for (size_t r = 0; r < instances.size(); ++r) {
      const Json& row = instances[r];
      const std::string where = "instance " + std::to_string(r);
      if (row.is_object()) {  // {"sepal_length": 5.1, ...}: by the names the model was trained on
        if (info_.features.size() != F)
          return InvalidInput(where + ": this model has no feature names; send a list of " +
                              std::to_string(F) + " numbers");
        for (const auto& f : info_.features) {
          if (!row.contains(f) || !row[f].is_number())
            return InvalidInput(where + " has no number for feature '" + f +
                                "' (features: " + join(info_.features, ", ") + ")");
          t.numbers.push_back(row[f].get<double>());
        }
        continue;
      }
      if (!row.is_array() || row.size() != F)
        return InvalidInput(
            where + " must be a list of " + std::to_string(F) + " numbers" +
            (info_.features.empty() ? "" : " (" + join(info_.features, ", ") + ")"));
      for (const auto& v : row) {
        if (!v.is_number()) return InvalidInput(where + " holds " + v.dump() + ", not a number");
        t.numbers.push_back(v.get<double>());
      }
    }
    return std::vector<Tensor>{std::move(t)};
  }

  Json to_predictions(const std::vector<Tensor>& outputs) const override {
    Json p = Json::array();
    for (double v : outputs[0].numbers) p.push_back(static_cast<std::int64_t>(v));
    return p;
  }

  std::vector<std::vector<double>> feature_rows(const std::vector<Tensor>& inputs) const override {
    const Tensor& in = inputs[0];
    const size_t F = static_cast<size_t>(in.shape[1]);
    // As the model sees them: FP32, the precision the training data and its statistics were kept
    // in.
    std::vector<std::vector<double>> rows;
    for (size_t i = 0; i + F <= in.numbers.size(); i += F) {
      std::vector<double> row;
      for (size_t f = 0; f < F; ++f) row.push_back(static_cast<float>(in.numbers[i + f]));
      rows.push_back(std::move(row));
    }
    return rows;
  }

 private:
  ModelInfo info_;
  models::Mlp<float, models::FastOps> net_;
  std::vector<float> params_, x_;
  std::vector<std::string> classes_;
};

}  // namespace

Result<std::unique_ptr<Model>> make_mlp_model(models::CheckpointState ck,
                                              const std::string& checkpoint, const Json&) {
  std::vector<std::string> dims = split(ck.signature, ':');
  std::vector<int> sizes;
  for (size_t i = 1; i < dims.size(); ++i) sizes.push_back(std::atoi(dims[i].c_str()));
  if (sizes.size() < 2 || std::any_of(sizes.begin(), sizes.end(), [](int s) { return s <= 0; }))
    return InvalidInput(checkpoint + ": signature '" + ck.signature + "' is not an MLP's");
  Json meta = Json::parse(ck.meta, nullptr, false);
  std::vector<std::string> features, classes;
  if (meta.is_object()) {
    features = meta.value("features", std::vector<std::string>{});
    classes = meta.value("classes", std::vector<std::string>{});
  }
  if (!features.empty() && static_cast<int>(features.size()) != sizes.front()) features.clear();
  models::Mlp<float, models::RefOps> probe(
      sizes.front(), std::vector<int>(sizes.begin() + 1, sizes.end() - 1), sizes.back());
  if (probe.num_params() != ck.params.size())
    return InvalidInput(checkpoint + " is inconsistent: its parameters do not fit " + ck.signature);
  return std::unique_ptr<Model>(
      new MlpModel(sizes, std::move(ck), std::move(features), std::move(classes)));
}

}  // namespace slipway::serve
