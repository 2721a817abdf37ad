// XGBoost models served natively through XGBoost's C API (Debian's libxgboost): no Python on the
// request path. The model file is any format XGBoost saves (model.bst binary, model.json,
// model.ubj); prediction is the booster's default (`predict` in Python: probabilities for
// multi:softprob, the class for multi:softmax, the margin-transformed value for regression), as
// KServe's XGBoost server answers. One thread per call, as KServe's default nthread=1: the daemon
// gets its parallelism from concurrent requests, not from splitting one small batch.
#include <xgboost/c_api.h>

#include <cmath>
#include <cstdio>

#include "serve/model.h"

namespace slipway::serve {

namespace {

std::string last_error() {
  const char* e = XGBGetLastError();
  return e ? e : "unknown XGBoost error";
}

class XGBoostModel : public Model {
 public:
  XGBoostModel(BoosterHandle booster, std::int64_t features)
      : booster_(booster), features_(features) {
    info_.kind = "xgboost";
    info_.platform = "xgboost";
    info_.batchable = true;
    info_.inputs = {{"input-0", "FP32", {-1, features}}};
    info_.outputs = {{"output-0", "FP32", {-1}}};
    // Any numeric datatype is taken (KServe's server converts); names are free, as there.
    info_.any_inputs = true;
  }
  ~XGBoostModel() override { XGBoosterFree(booster_); }

  const ModelInfo& info() const override { return info_; }

  Result<std::vector<Tensor>> infer(const std::vector<Tensor>& inputs, const Json&) override {
    if (inputs.size() != 1)
      return InvalidInput("an XGBoost model takes one input (rows of " + std::to_string(features_) +
                          " features), got " + std::to_string(inputs.size()));
    const Tensor& x = inputs[0];
    if (x.is_bytes())
      return InvalidInput("input '" + x.name + "': XGBoost takes numbers, not BYTES");
    if (x.shape.size() != 2 || x.shape[1] != features_)
      return InvalidInput("input '" + x.name + "' must be [rows, " + std::to_string(features_) +
                          "]; this model was trained on " + std::to_string(features_) +
                          " features");
    std::vector<float> values(x.numbers.begin(), x.numbers.end());
    char interface[256];
    std::snprintf(interface, sizeof interface,
                  "{\"data\": [%llu, true], \"shape\": [%lld, %lld], \"typestr\": \"<f4\", "
                  "\"version\": 3}",
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(values.data())),
                  static_cast<long long>(x.shape[0]), static_cast<long long>(features_));
    const char* config =
        "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
        "\"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}";
    const bst_ulong* shape = nullptr;
    bst_ulong dims = 0;
    const float* result = nullptr;
    if (XGBoosterPredictFromDense(booster_, interface, config, nullptr, &shape, &dims, &result) !=
        0)
      return Failed("XGBoost prediction failed: " + last_error());
    Tensor out;
    out.name = "output-0";
    out.datatype = "FP32";
    size_t n = 1;
    for (bst_ulong d = 0; d < dims; ++d) {
      out.shape.push_back(static_cast<std::int64_t>(shape[d]));
      n *= shape[d];
    }
    out.numbers.assign(result, result + n);
    return std::vector<Tensor>{std::move(out)};
  }

  Result<std::vector<Tensor>> from_instances(const Json& instances, Json*) const override {
    Tensor t;
    t.name = "input-0";
    t.datatype = "FP32";
    for (const auto& row : instances) {
      if (!row.is_array() || static_cast<std::int64_t>(row.size()) != features_)
        return InvalidInput("each instance must be a list of " + std::to_string(features_) +
                            " numbers, got " + row.dump().substr(0, 80));
      for (const auto& v : row) {
        if (!v.is_number() && !v.is_null())
          return InvalidInput("instances must be numbers (null: missing), got " + v.dump());
        t.numbers.push_back(v.is_null() ? std::nan("") : v.get<double>());
      }
    }
    t.shape = {static_cast<std::int64_t>(instances.size()), features_};
    return std::vector<Tensor>{std::move(t)};
  }

  Json to_predictions(const std::vector<Tensor>& outputs) const override {
    const Tensor& t = outputs.at(0);
    if (t.shape.size() <= 1) return Json(t.numbers);
    Json rows = Json::array();
    const size_t width =
        static_cast<size_t>(t.numbers.size() / std::max<std::int64_t>(1, t.shape[0]));
    for (size_t r = 0; r * width < t.numbers.size(); ++r)
      rows.push_back(
          std::vector<double>(t.numbers.begin() + r * width, t.numbers.begin() + (r + 1) * width));
    return rows;
  }

  std::vector<std::vector<double>> feature_rows(const std::vector<Tensor>& inputs) const override {
    std::vector<std::vector<double>> rows;
    const Tensor& x = inputs.at(0);
    for (std::int64_t r = 0; r < x.shape[0]; ++r)
      rows.emplace_back(x.numbers.begin() + r * features_, x.numbers.begin() + (r + 1) * features_);
    return rows;
  }

 private:
  BoosterHandle booster_;
  std::int64_t features_;
  ModelInfo info_;
};

}  // namespace

Result<std::unique_ptr<Model>> make_xgboost_model(const std::filesystem::path& dir) {
  std::filesystem::path file;
  for (const char* name : {"model.bst", "model.json", "model.ubj"})
    if (std::filesystem::is_regular_file(dir / name)) {
      file = dir / name;
      break;
    }
  if (file.empty())
    return NotFound(dir.string() +
                    " has no XGBoost model file (model.bst, model.json or model.ubj)");
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0)
    return Failed("cannot create an XGBoost booster: " + last_error());
  if (XGBoosterLoadModel(booster, file.c_str()) != 0) {
    std::string why = last_error();
    XGBoosterFree(booster);
    return InvalidInput(file.string() + " is not an XGBoost model XGBoost can load: " + why);
  }
  if (XGBoosterSetParam(booster, "nthread", "1") != 0) {
    std::string why = last_error();
    XGBoosterFree(booster);
    return Failed("cannot set nthread on " + file.string() + ": " + why);
  }
  bst_ulong features = 0;
  if (XGBoosterGetNumFeature(booster, &features) != 0) {
    std::string why = last_error();
    XGBoosterFree(booster);
    return Failed("cannot read the feature count of " + file.string() + ": " + why);
  }
  return std::unique_ptr<Model>(new XGBoostModel(booster, static_cast<std::int64_t>(features)));
}

}  // namespace slipway::serve
