// Prometheus metrics of the daemon, in the text exposition format (version 0.0.4): counters,
// gauges and histograms in families, each series keyed by its labels.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace slipway::serve {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  void add(const std::string& family, const Labels& labels, double by = 1);
  void set(const std::string& family, const Labels& labels, double value);
  void observe(const std::string& family, const Labels& labels, double value);
  // Families must be described before they are used: their type, help and (histograms) buckets.
  void describe_counter(const std::string& family, const std::string& help);
  void describe_gauge(const std::string& family, const std::string& help);
  void describe_histogram(const std::string& family, const std::string& help,
                          std::vector<double> buckets);
  // Drops every series of `family` whose labels include all of `match` (an unloaded version).
  void forget(const std::string& family, const Labels& match);
  std::string render() const;
  // The value of one counter or gauge series (0 when absent): for tests and the status API.
  double value(const std::string& family, const Labels& labels) const;

 private:
  struct Histogram {
    std::vector<double> counts;  // per bucket, not cumulative
    double sum = 0, count = 0;
  };
  struct Family {
    std::string type, help;
    std::vector<double> buckets;
    std::map<Labels, double> values;
    std::map<Labels, Histogram> histograms;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace slipway::serve
