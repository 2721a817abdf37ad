// Pictures of a sweep as SVG: the best objective so far by trial, parallel coordinates of every
// finished trial's parameters and objective, and (several objectives) the Pareto front.
#pragma once

#include <string>
#include <vector>

#include "store/records.h"
#include "tune/sweep_spec.h"

namespace slipway::tune {

std::string best_so_far_svg(const SweepSpec& spec, const std::vector<store::TrialRecord>& trials);
std::string parallel_coordinates_svg(const SweepSpec& spec,
                                     const std::vector<store::TrialRecord>& trials);
// The first two objectives against each other, the front joined up. Multi-objective sweeps only.
std::string pareto_svg(const SweepSpec& spec, const std::vector<store::TrialRecord>& trials);

}  // namespace slipway::tune
