// Reference statistics of a model's training data, per numeric feature, for drift monitoring:
// decile bins of the training values and the share of rows in each. The serving daemon bins what
// it is asked the same way and compares the shares by the population stability index (PSI).
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace slipway::ml {

struct FeatureStats {
  std::string name;
  std::vector<double> edges;        // ascending cut points: bin i is (edges[i−1], edges[i]]
  std::vector<double> proportions;  // edges.size() + 1 shares, summing to 1
  double mean = 0, stddev = 0;
};

// Deciles of each column of rows ([rows][features]); repeated cut points (discrete features)
// merge their bins.
std::vector<FeatureStats> compute_feature_stats(const std::vector<std::string>& names,
                                                const std::vector<std::vector<double>>& rows);

size_t bin_of(const std::vector<double>& edges, double value);

// Σ (actual − expected)·ln(actual / expected) over bins, each share floored at 1e-4 so an empty
// bin counts as rare rather than infinitely surprising. Below 0.1: stable; 0.1–0.25: some shift;
// above 0.25: the inputs have left the training distribution.
double population_stability_index(const std::vector<double>& expected,
                                  const std::vector<double>& actual);

Json feature_stats_to_json(const std::vector<FeatureStats>& stats);
Result<std::vector<FeatureStats>> feature_stats_from_json(const Json& j);

}  // namespace slipway::ml
