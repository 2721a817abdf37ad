// Multi-objective sweeps: Pareto dominance over the objective and the additional metrics, each
// with its direction, and non-dominated sorting (rank 0 is the front).
#pragma once

#include <vector>

#include "store/records.h"
#include "tune/sweep_spec.h"

namespace slipway::tune {

// The objectives of a trial as costs (negated where maximized); empty when one is missing.
std::vector<double> objective_costs(const Objective& o, const store::TrialRecord& t);

// Non-domination rank per trial (−1 for trials without every objective): 0 is the Pareto front.
std::vector<int> pareto_ranks(const Objective& o, const std::vector<store::TrialRecord>& trials);

}  // namespace slipway::tune
