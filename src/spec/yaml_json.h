// YAML nodes as JSON values, the way the YAML 1.2 core schema reads plain scalars (int, float,
// bool, null) while quoted scalars stay strings. Shared by the native and KFP front doors.
#pragma once

#include <yaml-cpp/yaml.h>

#include "spec/types.h"

namespace slipway {

Json yaml_to_json(const YAML::Node& n);

}  // namespace slipway
