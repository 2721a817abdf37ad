#include "tune/pareto.h"

namespace slipway::tune {

std::vector<double> objective_costs(const Objective& o, const store::TrialRecord& t) {
  if (t.state != "SUCCEEDED" && t.state != "EARLY_STOPPED") return {};
  std::vector<double> c;
  if (!t.metrics.contains(o.metric)) return {};
  c.push_back(o.maximize ? -t.metrics[o.metric].get<double>() : t.metrics[o.metric].get<double>());
  for (size_t i = 0; i < o.additional.size(); ++i) {
    if (!t.metrics.contains(o.additional[i])) return {};
    double v = t.metrics[o.additional[i]].get<double>();
    c.push_back(i < o.additional_maximize.size() && o.additional_maximize[i] ? -v : v);
  }
  return c;
}

namespace {
bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool better = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    better = better || a[i] < b[i];
  }
  return better;
}
}  // namespace

std::vector<int> pareto_ranks(const Objective& o, const std::vector<store::TrialRecord>& trials) {
  std::vector<std::vector<double>> costs;
  for (const auto& t : trials) costs.push_back(objective_costs(o, t));
  std::vector<int> rank(trials.size(), -1);
  size_t assigned = 0, total = 0;
  for (const auto& c : costs) total += !c.empty();
  for (int r = 0; assigned < total; ++r) {
    std::vector<size_t> front;
    for (size_t i = 0; i < trials.size(); ++i) {
      if (costs[i].empty() || rank[i] >= 0) continue;
      bool dominated = false;
      for (size_t j = 0; j < trials.size() && !dominated; ++j)
        dominated = j != i && !costs[j].empty() && (rank[j] < 0 || rank[j] == r) &&
                    dominates(costs[j], costs[i]);
      if (!dominated) front.push_back(i);
    }
    for (size_t i : front) rank[i] = r;
    assigned += front.size();
  }
  return rank;
}

}  // namespace slipway::tune
