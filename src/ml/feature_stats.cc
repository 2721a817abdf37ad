#include "ml/feature_stats.h"

#include <algorithm>
#include <cmath>

namespace slipway::ml {

std::vector<FeatureStats> compute_feature_stats(const std::vector<std::string>& names,
                                                const std::vector<std::vector<double>>& rows) {
  std::vector<FeatureStats> out;
  for (size_t f = 0; f < names.size(); ++f) {
    FeatureStats s;
    s.name = names[f];
    std::vector<double> v;
    for (const auto& r : rows)
      if (f < r.size() && std::isfinite(r[f])) v.push_back(r[f]);
    if (v.empty()) {
      s.proportions = {1.0};
      out.push_back(std::move(s));
      continue;
    }
    std::sort(v.begin(), v.end());
    double sum = 0, sq = 0;
    for (double x : v) sum += x, sq += x * x;
    s.mean = sum / static_cast<double>(v.size());
    s.stddev = std::sqrt(std::max(0.0, sq / static_cast<double>(v.size()) - s.mean * s.mean));
    for (int q = 1; q < 10; ++q) {
      const double edge = v[std::min(
          v.size() - 1, static_cast<size_t>(std::floor(q * static_cast<double>(v.size()) / 10.0)))];
      if (s.edges.empty() || edge > s.edges.back()) s.edges.push_back(edge);
    }
    // Cut points below the maximum only: a last bin with nothing above it would always be empty.
    while (!s.edges.empty() && s.edges.back() >= v.back()) s.edges.pop_back();
    s.proportions.assign(s.edges.size() + 1, 0.0);
    for (double x : v) s.proportions[bin_of(s.edges, x)] += 1.0 / static_cast<double>(v.size());
    out.push_back(std::move(s));
  }
  return out;
}

size_t bin_of(const std::vector<double>& edges, double value) {
  return static_cast<size_t>(std::lower_bound(edges.begin(), edges.end(), value) - edges.begin());
}

double population_stability_index(const std::vector<double>& expected,
                                  const std::vector<double>& actual) {
  double psi = 0;
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
    const double e = std::max(expected[i], 1e-4), a = std::max(actual[i], 1e-4);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

Json feature_stats_to_json(const std::vector<FeatureStats>& stats) {
  Json j = Json::array();
  for (const auto& s : stats)
    j.push_back({{"name", s.name},
                 {"edges", s.edges},
                 {"proportions", s.proportions},
                 {"mean", s.mean},
                 {"stddev", s.stddev}});
  return j;
}

Result<std::vector<FeatureStats>> feature_stats_from_json(const Json& j) {
  if (!j.is_array()) return InvalidInput("reference statistics must be a list of features");
  std::vector<FeatureStats> out;
  try {
    for (const auto& f : j) {
      FeatureStats s;
      s.name = f.at("name").get<std::string>();
      s.edges = f.at("edges").get<std::vector<double>>();
      s.proportions = f.at("proportions").get<std::vector<double>>();
      s.mean = f.value("mean", 0.0);
      s.stddev = f.value("stddev", 0.0);
      if (s.proportions.size() != s.edges.size() + 1 ||
          !std::is_sorted(s.edges.begin(), s.edges.end()))
        return InvalidInput("reference statistics of feature '" + s.name +
                            "' need ascending edges and one more proportion than edges");
      out.push_back(std::move(s));
    }
  } catch (const Json::exception& e) {
    return InvalidInput(std::string("reference statistics: ") + e.what());
  }
  return out;
}

}  // namespace slipway::ml
