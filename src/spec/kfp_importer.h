// The Kubeflow Pipelines front door: imports a compiled PipelineSpec IR file (schemaVersion
// 2.x, as written by the KFP SDK's compiler) into slipway's PipelineSpec, so the same engine and
// backends run it. Names follow the IR: pipelineInfo, root, components (executorLabel or dag),
// deploymentSpec.executors, componentRef, componentInputParameter, taskOutputParameter,
// triggerPolicy, retryPolicy, cachingOptions.
//
// Nested DAGs (condition groups, exit handlers) are flattened: their tasks become pipeline
// tasks whose `when` carries every enclosing condition and whose inputs are the enclosing
// `pipelinechannel--` bindings resolved to their sources. What is not supported yet is reported
// per field — an error where ignoring it would change results, a warning otherwise.
#pragma once

#include <functional>
#include <string>

#include "spec/kfp_document.h"
#include "spec/native_parser.h"

namespace slipway::spec {

ParseOutcome parse_kfp_pipeline(const std::string& yaml_text, const std::string& file,
                                const std::string& base_dir);

// KFP runtime placeholders to slipway's: {{$.inputs.parameters['x']}} -> {{inputs.x}}, etc.
// Returns an error for placeholders slipway cannot honour yet ({{$}}, .metadata).
Result<std::string> convert_kfp_placeholders(const std::string& text);

// A triggerPolicy condition (the CEL subset the SDK emits) as a slipway `when` expression, with
// inputs.parameter_values['NAME'] replaced by `binding(NAME)`.
Result<std::string> convert_kfp_condition(
    const std::string& cel, const std::function<Result<std::string>(const std::string&)>& binding);

}  // namespace slipway::spec
