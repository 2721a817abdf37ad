#include "serve/drift.h"

namespace slipway::serve {

DriftMonitor::DriftMonitor(std::vector<ml::FeatureStats> reference, size_t window)
    : reference_(std::move(reference)), window_(window) {
  for (const auto& f : reference_) counts_.emplace_back(f.proportions.size(), 0.0);
}

void DriftMonitor::observe(const std::vector<std::vector<double>>& rows) {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& row : rows) {
    if (row.size() < reference_.size()) continue;
    std::vector<size_t> bins(reference_.size());
    for (size_t f = 0; f < reference_.size(); ++f) {
      bins[f] = ml::bin_of(reference_[f].edges, row[f]);
      counts_[f][bins[f]] += 1;
    }
    recent_.push_back(std::move(bins));
    if (recent_.size() > window_) {
      for (size_t f = 0; f < reference_.size(); ++f) counts_[f][recent_.front()[f]] -= 1;
      recent_.pop_front();
    }
  }
}

std::vector<FeatureDrift> DriftMonitor::drift() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<FeatureDrift> out;
  const double n = static_cast<double>(recent_.size());
  for (size_t f = 0; f < reference_.size(); ++f) {
    FeatureDrift d{reference_[f].name, 0, {}};
    for (double c : counts_[f]) d.live.push_back(n > 0 ? c / n : 0);
    d.psi = n > 0 ? ml::population_stability_index(reference_[f].proportions, d.live) : 0;
    out.push_back(std::move(d));
  }
  return out;
}

size_t DriftMonitor::rows() const {
  std::lock_guard<std::mutex> l(mu_);
  return recent_.size();
}

}  // namespace slipway::serve
