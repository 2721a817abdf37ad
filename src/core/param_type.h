// The types a parameter value can have (KFP's and the native format's: string, int, float, bool,
// list, dict) and how a value given as text becomes one. Pipelines, sweeps, the store and the
// serving tensors all speak them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace slipway {

enum class ParamType { kString, kInt, kFloat, kBool, kList, kDict };

std::string param_type_name(ParamType t);
std::optional<ParamType> param_type_from_name(const std::string& name);
const std::vector<std::string>& param_type_names();

// Converts a value to a parameter type, the way a user expects ("3" is a fine int, "3.5" is not);
// an error says what was expected.
Result<Json> coerce_param(const Json& value, ParamType type);

// Renders a parameter value for a command line: strings bare, everything else as JSON.
std::string render_param(const Json& value);

}  // namespace slipway
