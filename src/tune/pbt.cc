#include "tune/pbt.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "tune/sampler.h"

namespace slipway::tune {

namespace {

Result<double> setting_number(const SweepSpec& spec, const std::string& key, double fallback) {
  const std::string text = spec.algorithm.setting(key, "");
  if (text.empty()) return fallback;
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  return InvalidInput("pbt setting " + key + " must be a number; it is '" + text + "'");
}

}  // namespace

Result<PbtSettings> pbt_settings(const SweepSpec& spec) {
  PbtSettings s;
  if (spec.format == "katib")  // Katib's ValidateAlgorithmSettings requires these three
    for (const char* key : {"suggestion_trial_dir", "n_population", "truncation_threshold"})
      if (spec.algorithm.setting(key, "").empty())
        return InvalidInput(std::string("pbt needs the algorithm setting ") + key +
                            " (Katib requires suggestion_trial_dir, n_population and "
                            "truncation_threshold)");
  auto population = setting_number(spec, "n_population", std::max(5, spec.parallel));
  if (!population.ok()) return population.status();
  if (*population < 5 || *population != std::floor(*population))
    return InvalidInput("pbt setting n_population must be a whole number of 5 or more");
  s.population = static_cast<int>(*population);
  auto truncation = setting_number(spec, "truncation_threshold", 0.2);
  if (!truncation.ok()) return truncation.status();
  if (!(*truncation >= 0 && *truncation <= 1))
    return InvalidInput("pbt setting truncation_threshold must be between 0 and 1");
  s.truncation = *truncation;
  if (!spec.algorithm.setting("resample_probability", "").empty()) {
    auto p = setting_number(spec, "resample_probability", 0);
    if (!p.ok()) return p.status();
    if (!(*p >= 0 && *p <= 1))
      return InvalidInput(
          "pbt setting resample_probability must be between 0 and 1 (leave it out to perturb by "
          "0.8 or 1.2)");
    s.resample_probability = *p;
  }
  if (spec.objective.multi_objective)
    return InvalidInput("pbt ranks a generation by one objective; this sweep has several");
  return s;
}

double linear_quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

Json Pbt::explore(const Json& params, std::uint64_t seed) const {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Json out = params;
  for (const ParamSpec& p : space_.params) {
    if (!params.contains(p.name)) continue;
    const Json& v = params[p.name];
    const double coin = unit(rng), draw = unit(rng);
    if (s_.resample_probability) {
      if (coin < *s_.resample_probability) out[p.name] = space_.value_of(p, draw);
      continue;
    }
    const bool up = coin < 0.5;
    if (p.kind == ParamKind::kInt || p.kind == ParamKind::kDouble) {
      const double was = v.get<double>();
      double x = std::clamp(was * (up ? 1.2 : 0.8), p.min, p.max);
      if (p.kind == ParamKind::kDouble && p.step == 0) {
        out[p.name] = x;
        continue;
      }
      // Back onto the parameter's values (its step, its integers); a change too small to reach
      // the next value moves one step, or a small integer would never move.
      const double step = p.kind == ParamKind::kInt ? std::max(1.0, p.step) : p.step;
      Json snapped = space_.value_of(p, space_.unit_of(p, Json(x)));
      if (snapped.get<double>() == was && x != was)
        snapped = space_.value_of(
            p, space_.unit_of(p, Json(std::clamp(was + (up ? step : -step), p.min, p.max))));
      out[p.name] = snapped;
      continue;
    }
    // A list: the neighbouring value, wrapping around, as Katib's pbt does.
    const std::uint64_t n = p.cardinality();
    const double u = space_.unit_of(p, v);
    const std::int64_t i = static_cast<std::int64_t>(u * static_cast<double>(n));
    const std::int64_t j = ((up ? i + 1 : i - 1) % static_cast<std::int64_t>(n) + n) % n;
    out[p.name] = space_.value_of(p, (static_cast<double>(j) + 0.5) / static_cast<double>(n));
  }
  return out;
}

std::optional<PbtStep> Pbt::next(const std::vector<store::TrialRecord>& trials,
                                 bool maximize) const {
  const int n = s_.population;
  // generation → member → its trials, in order (a retried member has several).
  std::map<int, std::map<int, std::vector<const store::TrialRecord*>>> grid;
  for (const auto& t : trials) grid[t.rung][t.config].push_back(&t);

  // A member whose every trial failed (none running, none with a result) is tried again as is.
  for (const auto& [g, members] : grid)
    for (const auto& [k, ts] : members) {
      bool settled = false;
      for (const auto* t : ts) settled = settled || t->active() || t->has_result();
      if (settled) continue;
      const store::TrialRecord& last = *ts.back();
      return PbtStep{k, g, last.parent, false, last.params};
    }
  // Generation 0 fills first: new members from the sweep's sampler.
  const int first = grid.count(0) ? static_cast<int>(grid[0].size()) : 0;
  if (first < n) return PbtStep{first, 0, -1, true, Json::object()};

  for (auto& [g, members] : grid) {
    // The member's result: its latest trial that has one.
    std::vector<const store::TrialRecord*> done(static_cast<size_t>(n), nullptr);
    for (const auto& [k, ts] : members)
      for (const auto* t : ts)
        if (t->has_result() && k < n) done[static_cast<size_t>(k)] = t;
    const bool complete =
        std::all_of(done.begin(), done.end(), [](const auto* t) { return t != nullptr; });
    const auto& following = grid.count(g + 1)
                                ? grid.at(g + 1)
                                : std::map<int, std::vector<const store::TrialRecord*>>{};
    if (static_cast<int>(following.size()) >= n) continue;  // the next generation is all there
    if (!complete) return std::nullopt;  // it waits for this generation's results
    std::vector<double> losses;
    for (const auto* t : done) losses.push_back(maximize ? -*t->objective : *t->objective);
    const double good = linear_quantile(losses, s_.truncation);
    const double bad = linear_quantile(losses, 1 - s_.truncation);
    std::vector<int> top;
    for (int k = 0; k < n; ++k)
      if (losses[static_cast<size_t>(k)] <= good) top.push_back(k);
    for (int k = 0; k < n; ++k) {
      if (following.count(k)) continue;
      const store::TrialRecord* self = done[static_cast<size_t>(k)];
      const std::uint64_t seed =
          trial_seed(seed_, 0x9B70000000ull + static_cast<std::uint64_t>(self->number));
      const store::TrialRecord* source = self;
      if (losses[static_cast<size_t>(k)] > bad && !top.empty()) {
        std::mt19937_64 rng(seed ^ 0xE7);
        source = done[static_cast<size_t>(
            top[std::uniform_int_distribution<size_t>(0, top.size() - 1)(rng)])];
      }
      return PbtStep{k, g + 1, source->number, false, explore(source->params, seed)};
    }
  }
  return std::nullopt;
}

}  // namespace slipway::tune
