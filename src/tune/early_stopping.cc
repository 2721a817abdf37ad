#include "tune/early_stopping.h"

#include <algorithm>

namespace slipway::tune {

bool median_stop(const std::vector<double>& running,
                 const std::vector<std::vector<double>>& completed, const EarlyStopping& rule,
                 bool maximize) {
  const size_t s = running.size();
  if (rule.name != "medianstop" ||
      s < static_cast<size_t>(std::max<std::int64_t>(1, rule.start_step)))
    return false;
  std::vector<double> averages;
  for (const auto& c : completed) {
    if (c.empty()) continue;
    const size_t k = std::min(s, c.size());
    double sum = 0;
    for (size_t i = 0; i < k; ++i) sum += c[i];
    averages.push_back(sum / static_cast<double>(k));
  }
  if (static_cast<int>(averages.size()) < std::max(1, rule.min_trials_required)) return false;
  std::sort(averages.begin(), averages.end());
  const size_t n = averages.size();
  const double median = n % 2 ? averages[n / 2] : 0.5 * (averages[n / 2 - 1] + averages[n / 2]);
  const double best = maximize ? *std::max_element(running.begin(), running.end())
                               : *std::min_element(running.begin(), running.end());
  return maximize ? best < median : best > median;
}

}  // namespace slipway::tune
