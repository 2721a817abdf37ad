#include "serve/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace slipway::serve {

namespace {

// Label values escaped as the exposition format asks: backslash, double quote and newline.
std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string label_text(const Labels& labels, const std::string& extra = "") {
  std::string s;
  for (const auto& [k, v] : labels) s += (s.empty() ? "" : ",") + k + "=\"" + escape(v) + "\"";
  if (!extra.empty()) s += (s.empty() ? "" : ",") + extra;
  return s.empty() ? "" : "{" + s + "}";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

void Metrics::describe_counter(const std::string& family, const std::string& help) {
  std::lock_guard<std::mutex> l(mu_);
  families_[family].type = "counter";
  families_[family].help = help;
}

void Metrics::describe_gauge(const std::string& family, const std::string& help) {
  std::lock_guard<std::mutex> l(mu_);
  families_[family].type = "gauge";
  families_[family].help = help;
}

void Metrics::describe_histogram(const std::string& family, const std::string& help,
                                 std::vector<double> buckets) {
  std::lock_guard<std::mutex> l(mu_);
  Family& f = families_[family];
  f.type = "histogram";
  f.help = help;
  std::sort(buckets.begin(), buckets.end());
  f.buckets = std::move(buckets);
}

void Metrics::add(const std::string& family, const Labels& labels, double by) {
  std::lock_guard<std::mutex> l(mu_);
  families_[family].values[labels] += by;
}

void Metrics::set(const std::string& family, const Labels& labels, double value) {
  std::lock_guard<std::mutex> l(mu_);
  families_[family].values[labels] = value;
}

void Metrics::observe(const std::string& family, const Labels& labels, double value) {
  std::lock_guard<std::mutex> l(mu_);
  Family& f = families_[family];
  Histogram& h = f.histograms[labels];
  if (h.counts.empty()) h.counts.assign(f.buckets.size() + 1, 0);
  const size_t b = static_cast<size_t>(std::lower_bound(f.buckets.begin(), f.buckets.end(), value) -
                                       f.buckets.begin());
  h.counts[b] += 1;
  h.sum += value;
  h.count += 1;
}

void Metrics::forget(const std::string& family, const Labels& match) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = families_.find(family);
  if (it == families_.end()) return;
  auto has = [&](const Labels& ls) {
    return std::all_of(match.begin(), match.end(), [&](const auto& kv) {
      return std::find(ls.begin(), ls.end(), kv) != ls.end();
    });
  };
  std::erase_if(it->second.values, [&](const auto& kv) { return has(kv.first); });
  std::erase_if(it->second.histograms, [&](const auto& kv) { return has(kv.first); });
}

double Metrics::value(const std::string& family, const Labels& labels) const {
  std::lock_guard<std::mutex> l(mu_);
  auto f = families_.find(family);
  if (f == families_.end()) return 0;
  auto v = f->second.values.find(labels);
  return v == f->second.values.end() ? 0 : v->second;
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> l(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    if (!f.type.empty()) out += "# TYPE " + name + " " + f.type + "\n";
    for (const auto& [labels, v] : f.values)
      out += name + label_text(labels) + " " + number(v) + "\n";
    for (const auto& [labels, h] : f.histograms) {
      double cumulative = 0;
      for (size_t b = 0; b <= f.buckets.size(); ++b) {
        cumulative += h.counts[b];
        const std::string le = b < f.buckets.size() ? number(f.buckets[b]) : "+Inf";
        out += name + "_bucket" + label_text(labels, "le=\"" + le + "\"") + " " +
               number(cumulative) + "\n";
      }
      out += name + "_sum" + label_text(labels) + " " + number(h.sum) + "\n";
      out += name + "_count" + label_text(labels) + " " + number(h.count) + "\n";
    }
  }
  return out;
}

}  // namespace slipway::serve
