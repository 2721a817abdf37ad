// Median stopping (Katib's medianstop, Golovin et al. 2017): a running trial is stopped when its
// best objective after step s is worse than the median, over completed trials, of their running
// averages up to step s. Steps are reports of the objective metric, counted from 1.
#pragma once

#include <vector>

#include "tune/sweep_spec.h"

namespace slipway::tune {

bool median_stop(const std::vector<double>& running,
                 const std::vector<std::vector<double>>& completed, const EarlyStopping& rule,
                 bool maximize);

}  // namespace slipway::tune
