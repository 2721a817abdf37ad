#include "tune/metrics_collector.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/json.h"

namespace slipway::tune {

MetricSeries parse_metrics_text(const std::string& text, const std::vector<std::string>& regexes) {
  MetricSeries out;
  std::vector<std::regex> res;
  for (const auto& r : regexes) res.emplace_back(r, std::regex::ECMAScript | std::regex::optimize);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    for (const auto& re : res)
      for (auto it = std::sregex_iterator(line.begin(), line.end(), re);
           it != std::sregex_iterator(); ++it) {
        if (it->size() < 3) continue;
        std::string name = (*it)[1].str(), value = (*it)[2].str();
        char* end = nullptr;
        double v = std::strtod(value.c_str(), &end);
        if (value.empty() || end == value.c_str() || *end != '\0' || !std::isfinite(v)) continue;
        out[name].push_back(v);
      }
  return out;
}

MetricSeries parse_metrics_json_lines(const std::string& text) {
  MetricSeries out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    for (const auto& [k, v] : j.items())
      if (v.is_number())
        out[k].push_back(v.get<double>());
      else if (v.is_string()) {
        char* end = nullptr;
        std::string s = v.get<std::string>();
        double x = std::strtod(s.c_str(), &end);
        if (!s.empty() && *end == '\0') out[k].push_back(x);
      }
  }
  return out;
}

MetricSeries collect_metrics(const MetricsCollector& c, const std::string& text) {
  return c.format == "JSON" ? parse_metrics_json_lines(text) : parse_metrics_text(text, c.regexes);
}

MetricSeries MetricsTail::read(const std::string& path, const MetricsCollector& c) {
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  if (path != path_ || ec || size < offset_) {
    path_ = path;
    offset_ = 0;
    partial_.clear();
    series_.clear();
  }
  if (!ec && size > offset_) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk(size - offset_, '\0');
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<size_t>(in.gcount()));
    offset_ += chunk.size();
    partial_ += chunk;
    const size_t end = partial_.rfind('\n');
    if (end != std::string::npos) {
      for (auto& [name, values] : collect_metrics(c, partial_.substr(0, end + 1)))
        series_[name].insert(series_[name].end(), values.begin(), values.end());
      partial_.erase(0, end + 1);
    }
  }
  MetricSeries out = series_;
  if (!partial_.empty())
    for (auto& [name, values] : collect_metrics(c, partial_))
      out[name].insert(out[name].end(), values.begin(), values.end());
  return out;
}

std::optional<double> pick(const std::vector<double>& series, const std::string& strategy) {
  if (series.empty()) return std::nullopt;
  if (strategy == "min") return *std::min_element(series.begin(), series.end());
  if (strategy == "max") return *std::max_element(series.begin(), series.end());
  return series.back();
}

}  // namespace slipway::tune
