// Running a short-lived helper command (sbatch, squeue, kubectl) and capturing what it says.
// Blocking; for commands expected to answer in seconds. Not for task processes.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace slipway {

struct CommandResult {
  int exit_code = -1;  // -1 when it could not be started or was killed by a signal
  std::string out, err;
};

// Runs argv[0] (looked up on PATH) with the given arguments; kills it after timeout_ms.
// A command that cannot be started is an error; a non-zero exit is a result.
Result<CommandResult> run_command(const std::vector<std::string>& argv, int timeout_ms = 60'000,
                                  const std::string& stdin_text = "");

// For best-effort commands whose failure must not stop the caller (a cancel, a cleanup) but must
// not go unseen either: prints "slipway: warning: <what> failed: <why>; <consequence>" to stderr
// when `r` is an error or a non-zero exit. Returns whether the command succeeded.
bool warn_unless_succeeded(const Result<CommandResult>& r, const std::string& what,
                           const std::string& consequence);

// Starts argv (argv[0] an absolute path) in its own session, stdin from /dev/null and stdout and
// stderr appended to log_path, and returns its pid without waiting: for a long-lived child of a
// multi-threaded process (posix_spawn, unlike fork, is safe there). The caller reaps it.
Result<int> spawn_detached(const std::vector<std::string>& argv, const std::string& log_path);

}  // namespace slipway
