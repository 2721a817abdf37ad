// YAML nodes as JSON values, the way the YAML 1.2 core schema reads plain scalars (int, float,
// bool, null) while quoted scalars stay strings. Shared by the native and KFP front doors.
#pragma once

#include <yaml-cpp/yaml.h>

#include "core/json.h"

namespace slipway {

Json yaml_to_json(const YAML::Node& n);

// A JSON value as block YAML that reads back as the same value under YAML 1.1 and 1.2 (what
// kubectl, Argo CD and Flux read): strings that would read as a number, bool or null are quoted.
std::string json_to_yaml(const Json& j);

}  // namespace slipway
