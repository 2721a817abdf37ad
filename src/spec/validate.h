// Validation shared by every front door: references, types, dependencies and cycles. A spec that
// passes is safe to plan: every name resolves and every binding fits its input's type.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "spec/diagnostics.h"
#include "spec/pipeline_spec.h"

namespace slipway::spec {

void validate_pipeline(const PipelineSpec& spec, Diagnostics* diags);

// The tasks a task waits for: data it consumes, its condition, its fan-out list, and `after`.
// Finally tasks are not included here; the engine orders them after all other tasks.
std::vector<std::string> task_dependencies(const Task& task);

// The tasks of each {{a | b}} reference of a task (KFP's dsl.OneOf): only one of them runs.
std::vector<std::vector<std::string>> oneof_groups(const Task& task);

// Pipeline parameter values: defaults overlaid with NAME=VALUE overrides, each coerced to its
// declared type. Unknown names, missing required parameters and bad values are errors.
Result<std::map<std::string, Json>> resolve_params(
    const PipelineSpec& spec, const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace slipway::spec
