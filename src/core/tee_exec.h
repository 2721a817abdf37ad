// `slipway __tee OUT ERR -- CMD...`: runs a command whose output must reach two places, its own
// stdout/stderr (a pod's log, for `kubectl logs` and the cluster's log collectors) and the run's
// log files on the shared volume (for `slipway runs logs` and the dashboard, and kept after the
// pod is gone). Unlike a shell pipe through tee, the exit status is the command's, the streams
// stay apart, nothing is lost when the command ends, and SIGTERM reaches the command.
#pragma once

#include <string>
#include <vector>

namespace slipway {

// Returns the command's exit code, 128+N when signal N ended it, or 127 when it could not start.
int run_teed(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path);

}  // namespace slipway
