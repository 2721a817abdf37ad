// Driving a run: the part of `run`, `runs resume`, `runs retry` and the detached driver that
// takes the run's lease, builds the engine over the stored pipeline, and reports the outcome.
#pragma once

#include <string>

#include "cli/common.h"

namespace slipway::cli {

struct DriveOptions {
  bool rerun_failed = false;
  bool resume = false;     // stop processes a dead driver left behind first
  bool live_table = true;  // draw the live table when stderr is a terminal
  OutputMode output = OutputMode::kText;
  // The pipeline, when the caller has just loaded it from the same source the run stored;
  // otherwise it is parsed from the run's stored copy.
  const spec::PipelineSpec* spec = nullptr;
};

// Returns the exit code: 0 SUCCEEDED, 1 FAILED/CANCELLED or an error, 2 invalid input.
int drive_run(store::Store& store, const std::string& run_id, const DriveOptions& opts);

}  // namespace slipway::cli
