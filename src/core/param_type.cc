#include "core/param_type.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace slipway {

const std::vector<std::string>& param_type_names() {
  static const std::vector<std::string> kNames = {"string", "int", "float", "bool", "list", "dict"};
  return kNames;
}

std::string param_type_name(ParamType t) { return param_type_names()[static_cast<size_t>(t)]; }

std::optional<ParamType> param_type_from_name(const std::string& name) {
  const auto& names = param_type_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<ParamType>(i);
  return std::nullopt;
}

static Result<Json> parse_json_text(const std::string& s, ParamType type) {
  Json j = Json::parse(s, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidInput("'" + s + "' is not a valid " + param_type_name(type));
  return j;
}

Result<Json> coerce_param(const Json& value, ParamType type) {
  auto bad = [&]() {
    return InvalidInput("expected a " + param_type_name(type) + ", got " + dump_json(value));
  };
  switch (type) {
    case ParamType::kString:
      if (value.is_string()) return value;
      if (value.is_null()) return bad();
      return Json(render_param(value));
    case ParamType::kInt: {
      if (value.is_number_integer()) return value;
      if (value.is_number_float()) {
        double d = value.get<double>();
        if (std::floor(d) == d) return Json(static_cast<long long>(d));
        return bad();
      }
      if (value.is_string()) {
        const std::string& s = value.get_ref<const std::string&>();
        char* end = nullptr;
        errno = 0;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && *end == 0 && errno == 0) return Json(v);
      }
      return bad();
    }
    case ParamType::kFloat: {
      if (value.is_number()) return Json(value.get<double>());
      if (value.is_string()) {
        const std::string& s = value.get_ref<const std::string&>();
        char* end = nullptr;
        double v = std::strtod(s.c_str(), &end);
        if (!s.empty() && *end == 0 && std::isfinite(v)) return Json(v);
      }
      return bad();
    }
    case ParamType::kBool:
      if (value.is_boolean()) return value;
      if (value.is_string()) {
        const std::string& s = value.get_ref<const std::string&>();
        if (s == "true" || s == "True" || s == "TRUE") return Json(true);
        if (s == "false" || s == "False" || s == "FALSE") return Json(false);
      }
      return bad();
    case ParamType::kList:
      if (value.is_array()) return value;
      if (value.is_string()) {
        auto j = parse_json_text(value.get<std::string>(), type);
        if (j.ok() && j->is_array()) return j;
      }
      return bad();
    case ParamType::kDict:
      if (value.is_object()) return value;
      if (value.is_string()) {
        auto j = parse_json_text(value.get<std::string>(), type);
        if (j.ok() && j->is_object()) return j;
      }
      return bad();
  }
  return bad();
}

std::string render_param(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    // Shortest form that reads back the same, so 0.9 prints as 0.9, not 0.90000000000000002.
    char buf[64];
    double d = value.get<double>();
    for (int prec = 6; prec <= 17; ++prec) {
      std::snprintf(buf, sizeof buf, "%.*g", prec, d);
      if (std::strtod(buf, nullptr) == d) break;
    }
    return buf;
  }
  return dump_json(value);
}

}  // namespace slipway
