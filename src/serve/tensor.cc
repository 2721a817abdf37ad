#include "serve/tensor.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace slipway::serve {

namespace {

struct Range {
  double lo, hi;
  bool integral;
};

// What values each datatype holds. FP16 is carried as a double in JSON and checked against its
// range.
bool range_of(const std::string& dt, Range* r) {
  static const std::vector<std::pair<std::string, Range>> ranges = {
      {"BOOL", {0, 1, true}},
      {"UINT8", {0, 255, true}},
      {"UINT16", {0, 65535, true}},
      {"UINT32", {0, 4294967295.0, true}},
      {"UINT64", {0, 18446744073709551615.0, true}},
      {"INT8", {-128, 127, true}},
      {"INT16", {-32768, 32767, true}},
      {"INT32", {-2147483648.0, 2147483647.0, true}},
      {"INT64", {-9223372036854775808.0, 9223372036854775807.0, true}},
      {"FP16", {-65504, 65504, false}},
      {"FP32", {-std::numeric_limits<float>::max(), std::numeric_limits<float>::max(), false}},
      {"FP64", {-std::numeric_limits<double>::max(), std::numeric_limits<double>::max(), false}},
  };
  for (const auto& [name, range] : ranges)
    if (name == dt) {
      *r = range;
      return true;
    }
  return false;
}

// Appends the leaves of a flat or nested array, checking each. The nesting is bounded: it cannot
// usefully exceed the tensor's rank, and a request of a million '[' must get a 400, not overflow
// the daemon's stack.
constexpr int kMaxNesting = 64;
Status flatten(const Json& data, const std::string& where, const std::string& dt, Tensor* t,
               int depth = 0) {
  if (data.is_array()) {
    if (depth >= kMaxNesting)
      return InvalidInput(where + ": data is nested more than " + std::to_string(kMaxNesting) +
                          " levels deep");
    for (const auto& e : data) SLIPWAY_RETURN_IF_ERROR(flatten(e, where, dt, t, depth + 1));
    return Status::Ok();
  }
  if (dt == "BYTES") {
    if (!data.is_string())
      return InvalidInput(where + ": BYTES data must be strings, got " +
                          std::string(data.type_name()));
    t->strings.push_back(data.get<std::string>());
    return Status::Ok();
  }
  Range r{};
  range_of(dt, &r);
  double v;
  if (dt == "BOOL") {
    if (!data.is_boolean())
      return InvalidInput(where + ": BOOL data must be true or false, got " + data.dump());
    v = data.get<bool>() ? 1 : 0;
  } else {
    if (!data.is_number())
      return InvalidInput(where + ": " + dt + " data must be numbers, got " + data.dump());
    v = data.get<double>();
    if (r.integral && (!data.is_number_integer() && !data.is_number_unsigned()))
      return InvalidInput(where + ": " + dt + " data must be integers, got " + data.dump());
    if (v < r.lo || v > r.hi)
      return InvalidInput(where + ": " + data.dump() + " is out of range for " + dt);
  }
  t->numbers.push_back(v);
  return Status::Ok();
}

}  // namespace

std::int64_t Tensor::elements() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

bool known_datatype(const std::string& datatype) {
  Range r{};
  return datatype == "BYTES" || range_of(datatype, &r);
}

Result<Tensor> tensor_from_json(const Json& j) {
  if (!j.is_object())
    return InvalidInput("each input must be an object with name, shape, datatype and data");
  Tensor t;
  if (!j.contains("name") || !j["name"].is_string())
    return InvalidInput("an input has no name (a string)");
  t.name = j["name"].get<std::string>();
  const std::string where = "input '" + t.name + "'";
  if (!j.contains("datatype") || !j["datatype"].is_string())
    return InvalidInput(where + " has no datatype");
  t.datatype = j["datatype"].get<std::string>();
  if (!known_datatype(t.datatype))
    return InvalidInput(
        where + ": datatype '" + t.datatype +
        "' is not one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES");
  if (!j.contains("shape") || !j["shape"].is_array())
    return InvalidInput(where + " has no shape (a list of sizes)");
  for (const auto& d : j["shape"]) {
    if (!d.is_number_integer() && !d.is_number_unsigned())
      return InvalidInput(where + ": shape " + j["shape"].dump() + " must hold integers");
    if (d.get<std::int64_t>() < 0)
      return InvalidInput(where + ": shape " + j["shape"].dump() + " has a negative size");
    t.shape.push_back(d.get<std::int64_t>());
  }
  if (j.contains("parameters")) {
    if (!j["parameters"].is_object()) return InvalidInput(where + ": parameters must be an object");
    t.parameters = j["parameters"];
  }
  if (!j.contains("data")) return InvalidInput(where + " has no data");
  const double expected = [&] {
    double n = 1;
    for (auto d : t.shape) n *= static_cast<double>(d);
    return n;
  }();
  if (expected > 1e9) return InvalidInput(where + ": shape " + j["shape"].dump() + " is too large");
  SLIPWAY_RETURN_IF_ERROR(flatten(j["data"], where, t.datatype, &t));
  const auto got = static_cast<double>(t.is_bytes() ? t.strings.size() : t.numbers.size());
  if (got != expected)
    return InvalidInput(where + ": shape " + j["shape"].dump() + " needs " +
                        std::to_string(static_cast<std::int64_t>(expected)) +
                        " elements, data has " + std::to_string(static_cast<std::int64_t>(got)));
  return t;
}

Json tensor_to_json(const Tensor& t) {
  Json j = {{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}};
  if (!t.parameters.empty()) j["parameters"] = t.parameters;
  Json data = Json::array();
  if (t.is_bytes()) {
    for (const auto& s : t.strings) data.push_back(s);
  } else if (t.datatype == "BOOL") {
    for (double v : t.numbers) data.push_back(v != 0);
  } else if (t.datatype.rfind("FP", 0) == 0) {
    for (double v : t.numbers) data.push_back(v);
  } else if (t.datatype.rfind("UINT", 0) == 0) {
    // Clamped below 2^64 and 2^63: converting a double at or past either is undefined.
    for (double v : t.numbers)
      data.push_back(static_cast<std::uint64_t>(std::clamp(v, 0.0, 18446744073709549568.0)));
  } else {
    for (double v : t.numbers)
      data.push_back(
          static_cast<std::int64_t>(std::clamp(v, -9223372036854775808.0, 9223372036854774784.0)));
  }
  j["data"] = std::move(data);
  return j;
}

Tensor slice_rows(const Tensor& t, std::int64_t begin, std::int64_t end) {
  Tensor s = t;
  const std::int64_t row = t.shape.empty() || t.shape[0] == 0 ? 0 : t.elements() / t.shape[0];
  s.shape[0] = end - begin;
  if (t.is_bytes())
    s.strings.assign(t.strings.begin() + begin * row, t.strings.begin() + end * row);
  else
    s.numbers.assign(t.numbers.begin() + begin * row, t.numbers.begin() + end * row);
  return s;
}

Result<Tensor> concat_rows(const std::vector<const Tensor*>& parts) {
  if (parts.empty()) return InvalidInput("nothing to join");
  Tensor out = *parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    const Tensor& p = *parts[i];
    if (p.datatype != out.datatype || p.shape.size() != out.shape.size() || p.shape.empty() ||
        !std::equal(p.shape.begin() + 1, p.shape.end(), out.shape.begin() + 1))
      return InvalidInput("input '" + p.name + "' does not match the batch's datatype and shape");
    out.shape[0] += p.shape[0];
    out.numbers.insert(out.numbers.end(), p.numbers.begin(), p.numbers.end());
    out.strings.insert(out.strings.end(), p.strings.begin(), p.strings.end());
  }
  return out;
}

}  // namespace slipway::serve
