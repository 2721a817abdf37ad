// One warm Python executor (python/python_executor.py): a Python process of one environment that
// has imported KFP's executor and the component's packages, and forks a fresh process per task.
// The task process is handed to this process (which must be a child subreaper, see
// become_subreaper), so it is waited for, signalled and cancelled like any child it started.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway::pyexec {

struct ForkServerStart {
  std::string python;                      // the environment's interpreter
  std::filesystem::path script;            // python_executor.py, written out
  std::map<std::string, std::string> env;  // its environment while it imports
  std::vector<std::string> preload;        // modules to import before it says ready
  std::vector<std::string> skip;           // modules not to import (threads, CUDA at import)
  std::filesystem::path log;               // its own stdout and stderr, appended
  std::chrono::milliseconds ready_timeout{60'000};
};

// What a task needs from the server: the module to run as `python3 -m`, its arguments and the
// component source, and the process it becomes.
struct ForkRequest {
  std::string module;
  std::string source;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string cwd;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

class ForkServer {
 public:
  // Starts the server and waits until it has imported what it was asked to. A module that starts
  // a thread or loads the CUDA driver at import is named in *unforkable_module.
  static Result<std::unique_ptr<ForkServer>> start(const ForkServerStart& s,
                                                   std::string* unforkable_module);
  ~ForkServer();
  ForkServer(const ForkServer&) = delete;
  ForkServer& operator=(const ForkServer&) = delete;

  // The pid of the task process the server forked; an error when the server is gone or refused.
  Result<pid_t> fork_task(const ForkRequest& r);
  pid_t pid() const { return pid_; }

 private:
  ForkServer(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  Result<std::string> read_line(std::chrono::steady_clock::time_point deadline);
  pid_t pid_;
  int fd_;
  std::string buffered_;
};

// Makes orphaned descendants of this process its children (PR_SET_CHILD_SUBREAPER), so a task a
// server forked can be waited for here. False where the kernel does not allow it.
bool become_subreaper();

}  // namespace slipway::pyexec
