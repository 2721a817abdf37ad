// The shapes a compiled KFP pipeline arrives in, reduced to one: the PipelineSpec mapping and,
// when present, its Kubernetes platform spec.
//
// Shapes read: the SDK's YAML (the spec, then a second YAML document `platforms:` when the
// pipeline uses kfp-kubernetes); JSON; proto-JSON with the proto's snake_case field names
// (protojson accepts both spellings, so KFP's API server does too); API objects that embed the
// spec (a pipeline version or run with `pipeline_spec`, a Vertex job with `pipelineSpec`, and
// the {pipeline_spec, platform_spec} pair of a pipeline version).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "spec/diagnostics.h"

namespace slipway::spec {

struct KfpDocument {
  YAML::Node spec{YAML::NodeType::Undefined};      // the PipelineSpec, in camelCase
  YAML::Node platform{YAML::NodeType::Undefined};  // platforms.kubernetes, if any
};

// True when the text is a KFP pipeline spec in any of the shapes above, or a KFP platform spec
// alone (which read_kfp_document then refuses, as KFP does).
bool looks_like_kfp_ir(const std::string& text);

// The pipeline and platform specs of a file; errors (no spec, two specs, not a mapping) go to
// `d`, and the returned spec is then undefined. YAML syntax errors throw YAML::Exception.
KfpDocument read_kfp_document(const std::string& text, const std::string& file, Diagnostics* d);

// A proto field name in snake_case as protojson's camelCase (pipeline_info -> pipelineInfo).
std::string proto_camel_case(const std::string& snake);

}  // namespace slipway::spec
