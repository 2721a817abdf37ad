#include "dag/task_state.h"

namespace slipway::dag {

const char* to_string(TaskState s) {
  switch (s) {
    case TaskState::kPending:
      return "PENDING";
    case TaskState::kRunning:
      return "RUNNING";
    case TaskState::kSucceeded:
      return "SUCCEEDED";
    case TaskState::kFailed:
      return "FAILED";
    case TaskState::kSkipped:
      return "SKIPPED";
    case TaskState::kUpstreamFailed:
      return "UPSTREAM_FAILED";
    case TaskState::kCancelled:
      return "CANCELLED";
  }
  return "PENDING";
}

TaskState task_state_from_string(const std::string& s) {
  for (auto st :
       {TaskState::kPending, TaskState::kRunning, TaskState::kSucceeded, TaskState::kFailed,
        TaskState::kSkipped, TaskState::kUpstreamFailed, TaskState::kCancelled})
    if (s == to_string(st)) return st;
  return TaskState::kPending;
}

bool is_terminal(TaskState s) { return s != TaskState::kPending && s != TaskState::kRunning; }

}  // namespace slipway::dag
