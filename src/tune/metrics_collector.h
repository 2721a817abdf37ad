// Reading what a trial reported: `name=value` lines on its standard output or in a file (Katib's
// StdOut and File collectors, with their default regular expression or the sweep's own), or JSON
// objects one per line. Values keep their order, so a metric's series is its learning curve.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tune/sweep_spec.h"

namespace slipway::tune {

using MetricSeries = std::map<std::string, std::vector<double>>;

// Groups 1 and 2 of each regex are a metric's name and value; values that are not numbers are
// skipped (Katib records them as "unavailable").
MetricSeries parse_metrics_text(const std::string& text, const std::vector<std::string>& regexes);

// A collector regex a sweep may use: valid ECMAScript, with the two groups (name, value) above.
// Checked when the sweep is read, so a bad one is an error naming it, before any trial runs.
Status check_metrics_regex(const std::string& regex);
MetricSeries parse_metrics_json_lines(const std::string& text);
MetricSeries collect_metrics(const MetricsCollector& c, const std::string& text);

// Follows one trial's growing log or metrics file: each read parses only what was appended since
// the last one, so a sweep's polls cost the new lines, not the whole log again. A line still
// being written counts with what it holds so far; a file that shrank, or another file (a retried
// trial's new attempt), is read from its start.
class MetricsTail {
 public:
  MetricSeries read(const std::string& path, const MetricsCollector& c);

 private:
  std::string path_;
  std::uint64_t offset_ = 0;
  std::string partial_;  // the unfinished last line
  MetricSeries series_;  // from the complete lines
};

// The value a strategy picks from a series: min, max or latest.
std::optional<double> pick(const std::vector<double>& series, const std::string& strategy);

}  // namespace slipway::tune
