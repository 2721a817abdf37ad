// YAML nodes as JSON values, the way the YAML 1.2 core schema reads plain scalars (int, float,
// bool, null) while quoted scalars stay strings. Shared by the native and KFP front doors.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/json.h"

namespace slipway {

Json yaml_to_json(const YAML::Node& n);

// The documents of a YAML stream, split at `---` lines and each loaded alone, their marks keeping
// the stream's line numbers. Used instead of yaml-cpp's LoadAll, which on some malformed streams
// never returns (found by the fuzzer). Throws YAML::ParserException as YAML::Load does.
std::vector<YAML::Node> load_yaml_documents(const std::string& text);

// A JSON value as block YAML that reads back as the same value under YAML 1.1 and 1.2 (what
// kubectl, Argo CD and Flux read): strings that would read as a number, bool or null are quoted.
std::string json_to_yaml(const Json& j);

}  // namespace slipway
