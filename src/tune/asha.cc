#include "tune/asha.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace slipway::tune {

Asha::Asha(const SweepSpec& spec)
    : min_(spec.min_resource), max_(spec.max_resource), eta_(spec.eta) {
  // Rungs per bracket: min·eta^k ≤ max. Hyperband has one bracket per possible starting rung.
  const int s_max = static_cast<int>(std::floor(std::log(max_ / min_) / std::log(eta_) + 1e-9));
  brackets_ = spec.algorithm.name == "hyperband" ? s_max + 1 : 1;
}

double Asha::budget(int bracket, int rung) const {
  return std::min(max_, min_ * std::pow(eta_, bracket + rung));
}

int Asha::top_rung(int bracket) const {
  int r = 0;
  while (budget(bracket, r) < max_) ++r;
  return r;
}

AshaStep Asha::next(const std::vector<store::TrialRecord>& trials, bool maximize,
                    int next_config) const {
  for (int b = 0; b < brackets_; ++b)
    for (int rung = top_rung(b) - 1; rung >= 0; --rung) {
      std::vector<size_t> done;
      std::set<int> promoted;  // configurations already at a higher rung
      for (size_t i = 0; i < trials.size(); ++i) {
        const auto& t = trials[i];
        if (t.config % brackets_ != b) continue;
        if (t.rung > rung) promoted.insert(t.config);
        if (t.rung == rung && t.state == "SUCCEEDED" && t.objective) done.push_back(i);
      }
      std::sort(done.begin(), done.end(), [&](size_t a, size_t c) {
        return maximize ? *trials[a].objective > *trials[c].objective
                        : *trials[a].objective < *trials[c].objective;
      });
      const size_t k = static_cast<size_t>(std::floor(static_cast<double>(done.size()) / eta_));
      for (size_t j = 0; j < k; ++j)
        if (!promoted.count(trials[done[j]].config))
          return {done[j], b, rung + 1, budget(b, rung + 1)};
    }
  const int b = next_config % brackets_;
  return {std::nullopt, b, 0, budget(b, 0)};
}

std::vector<Observation> multi_fidelity_history(const std::vector<store::TrialRecord>& trials,
                                                bool maximize, size_t dims) {
  std::map<double, size_t> results;
  for (const auto& t : trials)
    if (t.has_result()) ++results[t.budget];
  double level = results.empty() ? 0 : results.begin()->first;
  for (const auto& [budget, n] : results)
    if (n >= dims + 2) level = budget;
  std::vector<Observation> h;
  std::set<int> seen;
  for (const auto& t : trials)
    if (t.has_result() && t.budget == level && seen.insert(t.config).second)
      h.push_back({t.point, maximize ? -*t.objective : *t.objective, true});
  for (const auto& t : trials)
    if (t.active() && seen.insert(t.config).second) h.push_back({t.point, 0.0, false});
  return h;
}

}  // namespace slipway::tune
