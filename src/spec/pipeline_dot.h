// The pipeline DAG as Graphviz DOT, coloured by task state when a run is given:
// `slipway validate FILE --output dot | dot -Tsvg > dag.svg`.
#pragma once

#include <map>
#include <string>

#include "spec/pipeline_spec.h"

namespace slipway::spec {

// `states` maps task name to state (and fan-out groups to "STATE i/n"); empty for a plain DAG.
std::string pipeline_dot(const PipelineSpec& spec,
                         const std::map<std::string, std::string>& states);

}  // namespace slipway::spec
