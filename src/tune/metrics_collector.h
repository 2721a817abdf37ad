// Reading what a trial reported: `name=value` lines on its standard output or in a file (Katib's
// StdOut and File collectors, with their default regular expression or the sweep's own), or JSON
// objects one per line. Values keep their order, so a metric's series is its learning curve.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tune/sweep_spec.h"

namespace slipway {

using MetricSeries = std::map<std::string, std::vector<double>>;

// Groups 1 and 2 of each regex are a metric's name and value; values that are not numbers are
// skipped (Katib records them as "unavailable").
MetricSeries parse_metrics_text(const std::string& text, const std::vector<std::string>& regexes);
MetricSeries parse_metrics_json_lines(const std::string& text);
MetricSeries collect_metrics(const MetricsCollector& c, const std::string& text);

// The value a strategy picks from a series: min, max or latest.
std::optional<double> pick(const std::vector<double>& series, const std::string& strategy);

}  // namespace slipway
