// The warm Python executors of one driver. A KFP lightweight Python step (`slipway __pyenv --
// sh -c PRELUDE sh -ec RUN SOURCE ARGS`, kfp_python_step.h) whose environment is built is forked
// from a server that has already imported KFP's executor and the component's packages, instead
// of starting an interpreter of its own: milliseconds instead of about a second per step.
//
// It never changes what a step does. The forked process is the task process: its own pid and
// process group, the task's environment, directory and log files, and the driver waits for it and
// signals it as for any task. Anything it cannot do warm (not such a step, its environment not
// built yet, the executor switched off, a server that failed) is started the ordinary way.
//
// Off with SLIPWAY_WARM_PYTHON=0, for the driver or for one step (a KFP task's
// set_env_variable). One server per environment and per environment-variable set (variables can
// change what an import does); they end with the driver (end of file on their socket).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pyexec/fork_server.h"

namespace slipway::pyexec {

// The process the local backend would start for a task.
struct TaskProcess {
  const std::vector<std::string>& argv;
  const std::map<std::string, std::string>& env;
  const std::string& workdir;
  const std::string& stdout_path;
  const std::string& stderr_path;
};

// Whether a value of SLIPWAY_WARM_PYTHON turns the executors off.
bool warm_python_disabled(const char* value);

class PythonExecutors {
 public:
  // `self_exe`: the path that "slipway" in a task's command was resolved to.
  explicit PythonExecutors(std::string self_exe);
  ~PythonExecutors();

  // The run's component commands, before any launch: what the KFP Python steps of each package
  // set import is preloaded by that environment's executor when it starts, so that each step
  // finds its modules imported whichever step starts the executor.
  void expect_commands(const std::vector<std::vector<std::string>>& commands);

  // The pid of the task's process when a warm executor forked it, else nothing: start it the
  // ordinary way.
  std::optional<pid_t> launch(const TaskProcess& t);

 private:
  struct Server {
    std::unique_ptr<ForkServer> process;
    std::vector<std::string> skip;  // modules that start threads or CUDA at import
    int failures = 0;
  };
  Server* server_for(const std::string& key, const std::string& venv,
                     const std::map<std::string, std::string>& import_env,
                     const std::vector<std::string>& preload);
  void say_once(const std::string& key, const std::string& what);

  std::string self_exe_;
  bool enabled_;
  bool subreaper_tried_ = false;
  std::map<std::string, Server> servers_;
  std::map<std::string, int> servers_per_venv_;
  std::map<std::string, bool> said_;
  // By package set (environment_packages joined): the modules its steps import.
  std::map<std::string, std::vector<std::string>> expected_imports_;
};

}  // namespace slipway::pyexec
