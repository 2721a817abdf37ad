// A multinomial logistic-regression classifier on standardized features: the demo pipeline's
// train step until the native MPI trainer replaces it. Deterministic for a given seed.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "ml/table.h"

namespace slipway::ml {

struct SoftmaxModel {
  std::vector<std::string> features, classes;
  std::vector<double> mean, stddev;
  std::vector<std::vector<double>> weights;  // [class][feature]
  std::vector<double> bias;

  int predict(const std::vector<double>& x) const;
  Json to_json() const;
  static Result<SoftmaxModel> from_json(const Json& j);
};

struct TrainOptions {
  int epochs = 300;
  double learning_rate = 0.5;
  double l2 = 1e-4;
};

// Full-batch gradient descent on the rows `rows` of `d`. Returns the final mean cross-entropy.
double train_softmax(const Dataset& d, const std::vector<size_t>& rows, const TrainOptions& o,
                     SoftmaxModel* model);

struct Scores {
  double accuracy = 0;
  double f1_macro = 0;
};
Scores score(const SoftmaxModel& m, const Dataset& d, const std::vector<size_t>& rows);
// Accuracy and macro-F1 of predicted against true class indexes.
Scores score_predictions(const std::vector<int>& predicted, const std::vector<int>& truth,
                         size_t classes);

}  // namespace slipway::ml
