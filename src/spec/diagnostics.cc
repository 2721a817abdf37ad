#include "spec/diagnostics.h"

#include <algorithm>

namespace slipway::spec {

std::string Diagnostic::to_string() const {
  return loc.to_string() + ": " + (warning ? "warning: " : "error: ") + message;
}

// The same problem reached twice (a component used by several tasks) is reported once.
static bool seen_before(const std::vector<Diagnostic>& items, const Diagnostic& d) {
  return std::any_of(items.begin(), items.end(), [&](const Diagnostic& o) {
    return o.warning == d.warning && o.message == d.message && o.loc.line == d.loc.line &&
           o.loc.column == d.loc.column && o.loc.file == d.loc.file;
  });
}

void Diagnostics::error(const SourceLoc& loc, std::string message) {
  Diagnostic d{loc, std::move(message), false};
  if (items_.size() < 1000 && !seen_before(items_, d))
    items_.push_back(std::move(d));
  else if (items_.size() >= 1000)
    has_overflow_errors_ = true;
}

void Diagnostics::warning(const SourceLoc& loc, std::string message) {
  Diagnostic d{loc, std::move(message), true};
  if (items_.size() < 1000 && !seen_before(items_, d)) items_.push_back(std::move(d));
}

bool Diagnostics::has_errors() const {
  return has_overflow_errors_ ||
         std::any_of(items_.begin(), items_.end(), [](const Diagnostic& d) { return !d.warning; });
}

std::string Diagnostics::to_string() const {
  std::vector<Diagnostic> sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.loc.line, a.loc.column) < std::tie(b.loc.line, b.loc.column);
  });
  std::string out;
  for (const auto& d : sorted) out += d.to_string() + "\n";
  return out;
}

Json Diagnostics::to_json() const {
  Json arr = Json::array();
  for (const auto& d : items_)
    arr.push_back({{"file", d.loc.file},
                   {"line", d.loc.line},
                   {"column", d.loc.column},
                   {"severity", d.warning ? "warning" : "error"},
                   {"message", d.message}});
  return arr;
}

}  // namespace slipway::spec
