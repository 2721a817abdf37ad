#include "tune/metrics_collector.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/json.h"

namespace slipway::tune {

namespace {

// Katib's collectors run Go's regexp (RE2 syntax), where a '{' that does not start a repetition
// ({n}, {n,} or {n,m}) is a literal brace; ECMAScript refuses it. Katib's own file-collector
// example, "{metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)}", relies on that. Such
// braces are escaped, so a regex means here what it means in Katib.
std::string ecmascript_from_re2(const std::string& re) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      out += c;
      out += re[++i];
    } else if (in_class) {
      in_class = c != ']';
      out += c;
    } else if (c == '[') {
      in_class = true;
      out += c;
      // "[^]...]" and "[]...]": a ']' first in a class is a literal, not its end.
      if (i + 1 < re.size() && re[i + 1] == '^') out += re[++i];
      if (i + 1 < re.size() && re[i + 1] == ']') {
        out += "\\]";  // ECMAScript would read "[]" as an empty class
        ++i;
      }
    } else if (c == '{') {
      size_t j = i + 1, digits = 0;
      while (j < re.size() && std::isdigit(static_cast<unsigned char>(re[j]))) ++j, ++digits;
      if (digits > 0 && j < re.size() && re[j] == ',') {
        ++j;
        while (j < re.size() && std::isdigit(static_cast<unsigned char>(re[j]))) ++j;
      }
      if (digits > 0 && j < re.size() && re[j] == '}') {
        out += re.substr(i, j - i + 1);  // a repetition: as it is
        i = j;
      } else {
        out += "\\{";
      }
    } else if (c == '}') {
      out += "\\}";  // not the end of a repetition (those are copied whole above)
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

// Under AddressSanitizer, whose frames are larger, 8,000 characters already overflowed.
constexpr size_t kMaxMetricLine = 4096;

Status check_metrics_regex(const std::string& regex) {
  try {
    std::regex re(ecmascript_from_re2(regex), std::regex::ECMAScript);
    if (re.mark_count() < 2)
      return InvalidInput("metrics regex '" + regex + "' has " + std::to_string(re.mark_count()) +
                          " capture group(s); it needs two, the metric's name then its value, as "
                          "Katib's default regex has");
    return Status::Ok();
  } catch (const std::regex_error& e) {
    return InvalidInput("metrics regex '" + regex + "' is not a valid regular expression (" +
                        e.what() + ")");
  }
}

MetricSeries parse_metrics_text(const std::string& text, const std::vector<std::string>& regexes) {
  MetricSeries out;
  std::vector<std::regex> res;
  // Sweeps check their regexes when read (check_metrics_regex); one that still does not compile
  // matches nothing rather than ending the controller.
  for (const auto& r : regexes) {
    try {
      res.emplace_back(ecmascript_from_re2(r), std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
    }
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    // std::regex matches by recursion, a few frames per character a repetition takes in: one
    // 100 KB word (a hash, a base64 blob) on a trial's output overflows an 8 MB stack. Metric
    // lines are short, so longer lines are not searched (docs/sweeps.md).
    if (line.size() > kMaxMetricLine) continue;
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
