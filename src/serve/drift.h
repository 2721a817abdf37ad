// Live input drift of one served version: the last `window` rows it was asked about, binned by
// its training data's reference statistics, and the population stability index of each feature
// against the training shares (ml/feature_stats.h).
//
// Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "ml/feature_stats.h"

namespace slipway::serve {

struct FeatureDrift {
  std::string name;
  double psi = 0;
  std::vector<double> live;  // the live shares per bin
};

class DriftMonitor {
 public:
  DriftMonitor(std::vector<ml::FeatureStats> reference, size_t window);
  void observe(const std::vector<std::vector<double>>& rows);
  std::vector<FeatureDrift> drift() const;
  size_t rows() const;  // how many rows the live shares are over (at most the window)

 private:
  std::vector<ml::FeatureStats> reference_;
  size_t window_;
  mutable std::mutex mu_;
  std::deque<std::vector<size_t>> recent_;   // each row's bin per feature, oldest first
  std::vector<std::vector<double>> counts_;  // per feature, per bin, over recent_
};

}  // namespace slipway::serve
