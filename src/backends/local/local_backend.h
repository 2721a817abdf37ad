// The local backend: tasks are child processes of the driver, each in its own process group,
// with stdout/stderr in per-attempt files. Resource accounting keeps the sum of what running
// tasks declared within the machine's capacity; GPUs are handed out by index through
// CUDA_VISIBLE_DEVICES.
//
// KFP Python steps are forked from a warm executor per Python environment where they can be
// (pyexec/python_executors.h); the process is the same task process either way.
//
// Not thread-safe; the engine's thread owns it. It blocks SIGCHLD in the calling thread so
// wait() can sleep in sigtimedwait() and wake the moment a child exits.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "pyexec/python_executors.h"

namespace slipway::backends {

struct LocalCapacity {
  std::int64_t millicpus = 1000;
  std::int64_t memory_bytes = 0;
  int gpus = 0;
  // From the machine, overridable with SLIPWAY_LOCAL_CPUS, SLIPWAY_LOCAL_MEMORY,
  // SLIPWAY_LOCAL_GPUS.
  static LocalCapacity detect();
};

class LocalBackend : public Backend {
 public:
  explicit LocalBackend(LocalCapacity cap);
  ~LocalBackend() override;

  std::string name() const override { return "local"; }
  Status check_fits(const spec::Resources& r) const override;
  bool has_room(const spec::Resources& r) const override;
  bool reserve(const spec::Resources& r) override;
  Result<LaunchHandle> launch(const TaskLaunch& l) override;
  void expect_commands(const std::vector<std::vector<std::string>>& commands) override;
  std::vector<Completion> wait(std::int64_t timeout_ms) override;
  void terminate(const std::string& key, std::int64_t grace_ms) override;
  size_t in_flight() const override { return running_.size(); }
  // Local processes cannot be adopted (their exit status goes to the dead driver's parent), so
  // every process left with the run's SLIPWAY_RUN_ID is stopped and nothing is adopted.
  Result<std::vector<std::string>> reattach(const std::string& run_id,
                                            const std::vector<Adoptable>& running) override;

  const LocalCapacity& capacity() const { return cap_; }

 private:
  struct Running {
    std::string key;
    pid_t pid = 0;
    spec::Resources res;
    std::vector<int> gpu_ids;
    bool terminating = false;
    std::int64_t kill_at_ms = 0;  // SIGKILL deadline after a SIGTERM
  };
  void escalate_kills(std::int64_t now);
  std::int64_t next_kill_deadline() const;

  LocalCapacity cap_;
  std::int64_t used_millicpus_ = 0;
  std::int64_t used_memory_ = 0;
  std::set<int> free_gpus_;
  int reserved_gpus_ = 0;  // reserved, not yet assigned to a launch
  std::map<pid_t, Running> running_;
  std::map<std::string, pid_t> by_key_;
  std::unique_ptr<pyexec::PythonExecutors> python_;
};

}  // namespace slipway::backends
