// Finding a run's processes after its driver died: every task process carries SLIPWAY_RUN_ID in
// its environment (and its children inherit it), so /proc tells which processes belong to a run
// even when the driver never got to record their pids.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace slipway::backends {

// Pids of live processes whose environment has SLIPWAY_RUN_ID=<run_id>, excluding this process.
std::vector<pid_t> find_run_processes(const std::string& run_id);

// SIGTERM to each process group, then SIGKILL to what is left after grace_ms.
// Returns how many processes were signalled.
int stop_processes(const std::vector<pid_t>& pids, int grace_ms);

}  // namespace slipway::backends
