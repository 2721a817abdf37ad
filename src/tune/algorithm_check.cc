#include "tune/algorithm_check.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/strings.h"

namespace slipway::tune {

namespace {

const std::vector<std::string> kAlgorithms = {
    "random",    "grid", "sobol", "tpe", "multivariate-tpe", "bayesianoptimization",
    "hyperband", "asha", "cmaes", "pbt"};

Status check_name(const YamlReader& r, const YAML::Node& at, const std::string& name) {
  if (name == "enas" || name == "darts")
    return r.where(at, "algorithm '" + name +
                           "' is neural architecture search, which slipway does not do; search "
                           "hyperparameters with tpe or bayesianoptimization");
  if (std::find(kAlgorithms.begin(), kAlgorithms.end(), name) == kAlgorithms.end())
    return r.where(at, "algorithm '" + name + "' is not known" + did_you_mean(name, kAlgorithms) +
                           " (one of: " + join(kAlgorithms, ", ") + ")");
  return Status::Ok();
}

// Algorithm settings that slipway reads as numbers, with the least value each may take; a setting
// not listed is read as text (restart_strategy, resource_name) or is Katib's own service's
// (acq_func, base_estimator), which slipway does not run. Checked when the file is read, so a
// typo is refused with its name and the sweep never starts.
struct NumericSetting {
  std::vector<std::string> algorithms;  // empty: every algorithm
  const char* key;
  bool integer;
  double least;
  bool above;        // the value must exceed `least`, not merely reach it
  const char* rule;  // what to give, for the message
};
// One setting a row.
// clang-format off
const std::vector<NumericSetting> kNumericSettings = {
    {{}, "random_state", true, 0, false, "a whole number of 0 or more (the sweep's seed)"},
    {{"bayesianoptimization"}, "n_initial_points", true, 1, false,
     "a whole number of 1 or more (trials of the initial design)"},
    {{"bayesianoptimization"}, "max_observations", true, 10, false,
     "a whole number of 10 or more (trials the model conditions on)"},
    {{"tpe", "multivariate-tpe"}, "n_startup_trials", true, 0, false,
     "a whole number of 0 or more (random trials before the model)"},
    {{"tpe", "multivariate-tpe"}, "n_ei_candidates", true, 1, false,
     "a whole number of 1 or more (candidates drawn per suggestion)"},
    {{"hyperband"}, "eta", false, 1, true, "a number above 1 (the factor between rungs)"},
    {{"hyperband"}, "r_l", false, 0, false, "a number of 0 or more (the smallest budget)"},
};
// clang-format on

Status check_settings(const YamlReader& r, const YAML::Node& at, const Algorithm& a) {
  for (const auto& ns : kNumericSettings) {
    if (!ns.algorithms.empty() &&
        std::find(ns.algorithms.begin(), ns.algorithms.end(), a.name) == ns.algorithms.end())
      continue;
    auto it = a.settings.find(ns.key);
    if (it == a.settings.end()) continue;
    const std::string& text = it->second;
    char* end = nullptr;
    const double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
    const bool number = !text.empty() && end && *end == '\0' && std::isfinite(v);
    if (!number || (ns.integer && v != std::floor(v)) || v < ns.least ||
        (ns.above && v == ns.least))
      return r.where(
          at, std::string("algorithm setting ") + ns.key + " is '" + text + "'; give " + ns.rule);
  }
  return Status::Ok();
}

}  // namespace

Status check_algorithm(const YamlReader& r, const YAML::Node& at, const Algorithm& a) {
  SLIPWAY_RETURN_IF_ERROR(check_name(r, at, a.name));
  return check_settings(r, at, a);
}

}  // namespace slipway::tune
