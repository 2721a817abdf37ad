#include "core/units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace slipway {

namespace {

// Splits "12.5Mi" into 12.5 and "Mi"; fails when there is no leading number.
bool split_number(const std::string& text, double* number, std::string* suffix) {
  if (text.empty()) return false;
  char* end = nullptr;
  *number = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(*number) || *number < 0) return false;
  *suffix = std::string(end);
  return true;
}

}  // namespace

Result<std::int64_t> parse_duration_ms(const std::string& text) {
  // Sequences like "1h30m10s" are summed; "250ms" and "2.5s" are allowed.
  if (text.empty()) return InvalidInput("empty duration");
  std::int64_t total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.'))
      ++j;
    if (j == i) break;
    double value = std::atof(text.substr(i, j - i).c_str());
    size_t k = j;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k]))) ++k;
    std::string unit = text.substr(j, k - j);
    double scale;
    if (unit.empty() || unit == "s")
      scale = 1000;
    else if (unit == "ms")
      scale = 1;
    else if (unit == "m")
      scale = 60'000;
    else if (unit == "h")
      scale = 3'600'000;
    else if (unit == "d")
      scale = 86'400'000;
    else
      break;
    total += static_cast<std::int64_t>(std::llround(value * scale));
    i = k;
    any = true;
  }
  if (!any || i != text.size())
    return InvalidInput("'" + text + "' is not a duration; write e.g. 30s, 250ms, 5m, 1h30m");
  return total;
}

std::string format_duration_ms(std::int64_t ms) {
  char buf[64];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", ms / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>((ms / 1000) % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>((ms / 60'000) % 60));
  }
  return buf;
}

Result<std::int64_t> parse_memory_bytes(const std::string& text) {
  double n;
  std::string suffix;
  if (split_number(text, &n, &suffix)) {
    double scale = -1;
    if (suffix.empty())
      scale = 1;
    else if (suffix == "Ki")
      scale = 1024.0;
    else if (suffix == "Mi")
      scale = 1024.0 * 1024;
    else if (suffix == "Gi")
      scale = 1024.0 * 1024 * 1024;
    else if (suffix == "Ti")
      scale = 1024.0 * 1024 * 1024 * 1024;
    else if (suffix == "k" || suffix == "K")
      scale = 1e3;
    else if (suffix == "M")
      scale = 1e6;
    else if (suffix == "G")
      scale = 1e9;
    else if (suffix == "T")
      scale = 1e12;
    if (scale > 0) return static_cast<std::int64_t>(std::llround(n * scale));
  }
  return InvalidInput("'" + text + "' is not an amount of memory; write e.g. 512Mi, 2Gi, 1G");
}

Result<std::int64_t> parse_millicpus(const std::string& text) {
  double n;
  std::string suffix;
  if (split_number(text, &n, &suffix)) {
    if (suffix.empty()) return static_cast<std::int64_t>(std::llround(n * 1000));
    if (suffix == "m") return static_cast<std::int64_t>(std::llround(n));
  }
  return InvalidInput("'" + text + "' is not a CPU count; write e.g. 2, 0.5 or 500m");
}

}  // namespace slipway
