// scikit-learn models the daemon evaluates itself, with no hop to a Python worker: linear models
// and decision trees and their forests, exported as plain arrays by the worker that loaded the
// pickle (model_worker.py, sklearn_native_form). Their predict is arithmetic the daemon does in
// microseconds where scikit-learn's own call costs a quarter of a millisecond (a linear model) to
// several (a 100-tree forest), most of it input checking and per-tree dispatch.
//
// The arithmetic is scikit-learn's, in its order: a tree compares the input cast to float32 with
// its float64 thresholds; a forest classifier sums its trees' normalized leaf values in tree order
// and divides by the count; a classifier takes the first largest score; a linear model adds the
// intercept to the dot product. Only finite numeric [rows, features] inputs are evaluated here:
// anything else returns nothing and goes to the worker, so scikit-learn's own checks and messages
// answer it.
//
// Immutable once parsed: predict() is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "serve/tensor.h"

namespace slipway::serve {

class SklearnNative {
 public:
  // From the worker's export: `header` describes, `data` holds the raw little-endian arrays. A
  // malformed export (sizes that disagree, a child index that does not point further down the
  // tree, a feature out of range) is an error naming what is wrong.
  static Result<std::unique_ptr<SklearnNative>> parse(const Json& header, std::string_view data);

  // The model's predict as output "output-0" ([rows]), or nothing when the input is not a finite
  // numeric [rows, n_features] tensor.
  std::optional<Tensor> predict(const Tensor& x) const;

  const std::string& estimator() const { return estimator_; }

 private:
  struct Tree {
    std::vector<std::int64_t> left, right, feature;
    std::vector<double> threshold, values;  // values: values_per_node per node
  };
  const double* leaf_values(const Tree& tree, const double* row) const;
  Tensor labels(const std::vector<size_t>& indices) const;

  enum class Kind { kLinear, kTree, kForest };
  bool classifier() const { return !class_names_.empty() || !class_values_.empty(); }

  std::string estimator_;
  Kind kind_ = Kind::kLinear;
  std::int64_t n_features_ = 0;
  std::string datatype_;                  // of the classes
  std::vector<std::string> class_names_;  // BYTES classes
  std::vector<double> class_values_;      // numeric classes
  // linear
  std::int64_t outputs_ = 0;
  std::vector<double> coef_, intercept_;
  // trees
  std::int64_t values_per_node_ = 0;
  std::vector<Tree> trees_;
};

}  // namespace slipway::serve
