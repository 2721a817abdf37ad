#include "spec/diagnostics.h"

#include <algorithm>

namespace slipway {

std::string Diagnostic::to_string() const {
  return loc.to_string() + ": " + (warning ? "warning: " : "error: ") + message;
}

void Diagnostics::error(const SourceLoc& loc, std::string message) {
  items_.push_back({loc, std::move(message), false});
}

void Diagnostics::warning(const SourceLoc& loc, std::string message) {
  items_.push_back({loc, std::move(message), true});
}

bool Diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(), [](const Diagnostic& d) { return !d.warning; });
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

}  // namespace slipway
