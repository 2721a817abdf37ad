// Task and run states, and their names as stored and shown.
#pragma once

#include <string>

namespace slipway::dag {

enum class TaskState {
  kPending,  // waiting for dependencies, a retry delay, or resources
  kRunning,  // an attempt is with the backend (or a fan-out's items are)
  kSucceeded,
  kFailed,
  kSkipped,         // its condition was false, or an upstream task was skipped
  kUpstreamFailed,  // not run because a task it depends on failed
  kCancelled,
};

const char* to_string(TaskState s);
TaskState task_state_from_string(const std::string& s);
bool is_terminal(TaskState s);

}  // namespace slipway::dag
