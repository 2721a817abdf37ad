// `slipway __tee OUT ERR -- CMD...`: runs a command whose output must reach two places, its own
// stdout/stderr (a pod's log, for `kubectl logs` and the cluster's log collectors) and the run's
// log files on the shared volume (for `slipway runs logs` and the dashboard, and kept after the
// pod is gone). Unlike a shell pipe through tee, the exit status is the command's, the streams
// stay apart, nothing is lost when the command ends, and SIGTERM reaches the command.
#pragma once

#include <string>
#include <vector>

namespace slipway {

struct TeeOptions {
  std::string out_path, err_path;
  std::string exit_path;  // when set, the exit status is written here (atomically) at the end
  std::vector<std::string> mkdirs;  // created first (with the log files' folders)
};

// Returns the command's exit code, 128+N when signal N ended it, or 127 when it could not start.
int run_teed(const std::vector<std::string>& argv, const TeeOptions& o);

}  // namespace slipway
