// The value types of pipeline parameters and artifacts, shared by every front door (native YAML,
// KFP IR) and by validation, planning and the store.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway {

using Json = nlohmann::json;

enum class ParamType { kString, kInt, kFloat, kBool, kList, kDict };

// Artifact types keep KFP's names (system.Dataset -> Dataset) so the KFP importer maps 1:1.
const std::vector<std::string>& known_artifact_types();

struct TypeRef {
  bool is_artifact = false;
  ParamType param = ParamType::kString;  // when !is_artifact
  std::string artifact;                  // when is_artifact: Dataset, Model, Metrics, ...
  bool is_list = false;                  // a list of artifacts (fan-in of artifact outputs)

  std::string to_string() const;
  bool operator==(const TypeRef&) const = default;
};

std::string param_type_name(ParamType t);
std::optional<ParamType> param_type_from_name(const std::string& name);
const std::vector<std::string>& param_type_names();

// Converts a value to a parameter type, the way a user expects ("3" is a fine int, "3.5" is not);
// an error says what was expected.
Result<Json> coerce_param(const Json& value, ParamType type);

// JSON text that never throws: invalid UTF-8 in user input is replaced, not fatal.
inline std::string dump_json(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// Renders a parameter value for a command line: strings bare, everything else as JSON.
std::string render_param(const Json& value);

}  // namespace slipway
