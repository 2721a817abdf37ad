// How a run is shown: the run document (`runs show --output json`, the REST API), its tasks as rows
// with fan-out items folded into their group, and its DAG coloured by state.
#pragma once

#include <string>
#include <vector>

#include "dag/engine.h"
#include "store/store.h"

namespace slipway::runs {

// The run document: what `runs show --output json` and `run --output json` print.
nlohmann::json run_document(store::Store& store, const store::RunRecord& run);

// The run's tasks as the live table shows them: fan-out items folded into their group's row.
std::vector<dag::TaskView> task_views(store::Store& store, const std::string& run_id);

// The pipeline's DAG in Graphviz DOT, each task filled by its state in this run.
Result<std::string> run_dot(store::Store& store, const store::RunRecord& run);

}  // namespace slipway::runs
