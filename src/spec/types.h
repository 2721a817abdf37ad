// The types of pipeline inputs and outputs: a parameter type (core/param_type.h) or a KFP
// artifact type, shared by every front door (native YAML, KFP IR) and by validation and planning.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/param_type.h"

namespace slipway::spec {

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

}  // namespace slipway::spec
