// Scoring a classifier that `slipway train` wrote (an HDF5 checkpoint of an MLP) on a CSV: the
// demo pipeline's evaluate step, on the rows the trainer held out.
#pragma once

#include <string>

#include "ml/softmax_classifier.h"
#include "ml/table.h"

namespace slipway::ml {

bool is_hdf5_file(const std::string& path);

// Checks that the CSV's features and classes are the model's, then scores the model on the rows
// its training data held out (the split recorded in the checkpoint).
Result<Scores> evaluate_mlp_checkpoint(const std::string& path, const Dataset& d);

}  // namespace slipway::ml
