#include "pyexec/python_executors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/files.h"
#include "core/hash.h"
#include "core/pyenv.h"
#include "core/strings.h"
#include "pyexec/kfp_python_step.h"

namespace slipway::pyexec {

// python/python_executor.py, compiled in (the build generates python_executor_source.cc).
extern const char kPythonExecutorSource[];

namespace fs = std::filesystem;

namespace {

// Variables that differ from one task to the next but cannot change what an import does: tasks
// that differ only in these share a server.
bool per_task_variable(const std::string& name) {
  return name == "SLIPWAY_TASK" || name == "SLIPWAY_ATTEMPT" || name == "PWD";
}

// A server per environment is the point; a few per environment allow steps whose variables
// differ. Past that, steps start cold rather than each paying for a server.
constexpr int kMaxServersPerVenv = 3;

std::string value_of(const std::map<std::string, std::string>& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

int open_log(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

}  // namespace

bool warm_python_disabled(const char* value) { return value && switched_off(value); }

PythonExecutors::PythonExecutors(std::string self_exe)
    : self_exe_(std::move(self_exe)),
      enabled_(!warm_python_disabled(std::getenv("SLIPWAY_WARM_PYTHON"))) {}

PythonExecutors::~PythonExecutors() = default;

void PythonExecutors::say_once(const std::string& key, const std::string& what) {
  if (said_[key]) return;
  said_[key] = true;
  std::fprintf(stderr, "slipway: %s\n", what.c_str());
}

PythonExecutors::Server* PythonExecutors::server_for(
    const std::string& key, const std::string& venv,
    const std::map<std::string, std::string>& import_env, const std::vector<std::string>& preload) {
  auto found = servers_.find(key);
  if (found != servers_.end() && found->second.process) return &found->second;
  if (found == servers_.end()) {
    if (servers_per_venv_[venv] >= kMaxServersPerVenv) return nullptr;
    ++servers_per_venv_[venv];
    found = servers_.emplace(key, Server{}).first;
  }
  Server& s = found->second;
  if (s.failures >= 2) return nullptr;
  if (!subreaper_tried_) {
    subreaper_tried_ = true;
    if (!become_subreaper()) {
      enabled_ = false;
      say_once("subreaper",
               "warm Python executors are off: this kernel does not let the driver "
               "adopt the processes they fork (PR_SET_CHILD_SUBREAPER: " +
                   std::string(std::strerror(errno)) + ")");
      return nullptr;
    }
  }
  const fs::path root = fs::path(venv).parent_path();
  auto script = write_script_once(root / ".executor", "python_executor", kPythonExecutorSource);
  if (!script.ok()) {
    ++s.failures;
    say_once(key, "no warm Python executor for " + venv + ": " + script.status().message());
    return nullptr;
  }
  ForkServerStart start;
  start.python = (fs::path(venv) / "bin" / "python3").string();
  start.script = *script;
  start.env = import_env;
  start.preload = preload;
  const std::string run_id = value_of(import_env, "SLIPWAY_RUN_ID");
  const std::string home = value_of(import_env, "SLIPWAY_HOME");
  start.log = (!home.empty() && !run_id.empty() ? fs::path(home) / "runs" / run_id : root) /
              "python-executors" / (sha256_hex(key).substr(0, 16) + ".log");
  // A module that starts a thread or CUDA at import is left to the tasks; a few tries find them.
  for (int attempt = 0; attempt < 4; ++attempt) {
    start.skip = s.skip;
    std::string unforkable_module;
    auto p = ForkServer::start(start, &unforkable_module);
    if (p.ok()) {
      s.process = std::move(*p);
      return &s;
    }
    if (unforkable_module.empty()) {
      // One that could not start once would not the next time: its steps start cold.
      s.failures = 2;
      say_once(key, "no warm Python executor for " + venv +
                        ", its steps start their own interpreter: " + p.status().message());
      return nullptr;
    }
    s.skip.push_back(unforkable_module);
  }
  s.failures = 2;
  return nullptr;
}

void PythonExecutors::expect_commands(const std::vector<std::vector<std::string>>& commands) {
  for (const auto& c : commands) {
    if (c.size() < 4 || c[1] != "__pyenv" || c[2] != "--") continue;
    const std::vector<std::string> command(c.begin() + 3, c.end());
    auto step = parse_kfp_python_step(command);
    if (!step) continue;
    auto& modules = expected_imports_[join(environment_packages(command), "\n")];
    for (const auto& m : imported_modules(step->source))
      if (std::find(modules.begin(), modules.end(), m) == modules.end()) modules.push_back(m);
  }
}

std::optional<pid_t> PythonExecutors::launch(const TaskProcess& t) {
  if (!enabled_ || t.argv.size() < 4 || t.argv[0] != self_exe_ || t.argv[1] != "__pyenv" ||
      t.argv[2] != "--")
    return std::nullopt;
  if (warm_python_disabled(
          t.env.count("SLIPWAY_WARM_PYTHON") ? t.env.at("SLIPWAY_WARM_PYTHON").c_str() : nullptr))
    return std::nullopt;
  const std::vector<std::string> command(t.argv.begin() + 3, t.argv.end());
  auto step = parse_kfp_python_step(command);
  if (!step) return std::nullopt;
  const std::string shared = value_of(t.env, "SLIPWAY_PYENVS");
  const fs::path root =
      !shared.empty() ? fs::path(shared) : fs::path(value_of(t.env, "SLIPWAY_HOME")) / "pyenvs";
  const auto packages = environment_packages(command);
  const fs::path venv = pyenv_dir(root, packages);
  // The first step of a new environment builds it, and shows the installer's messages in its own
  // log; the steps after it are forked.
  if (!pyenv_ready(venv)) return std::nullopt;

  // The variables `slipway __pyenv` and the step's shell would give the interpreter.
  std::map<std::string, std::string> env = t.env;
  env["PATH"] = (venv / "bin").string() + ":" + value_of(t.env, "PATH");
  env["VIRTUAL_ENV"] = venv.string();
  if (step->kfp_runtime) env["_KFP_RUNTIME"] = "true";
  std::map<std::string, std::string> import_env;
  std::string key = venv.string();
  for (const auto& [k, v] : env) {
    if (per_task_variable(k)) continue;
    import_env[k] = v;
    key += '\n' + k + '=' + v;
  }
  env["PWD"] = t.workdir;

  // This step's imports first, then those of the run's other steps of this package set.
  std::vector<std::string> preload = {executor_support_module(step->module)};
  for (const auto& m : imported_modules(step->source)) preload.push_back(m);
  if (auto e = expected_imports_.find(join(packages, "\n")); e != expected_imports_.end())
    preload.insert(preload.end(), e->second.begin(), e->second.end());
  Server* s = server_for(key, venv.string(), import_env, preload);
  if (!s) return std::nullopt;

  ForkRequest r;
  r.module = step->module;
  r.source = step->source;
  r.args = step->args;
  r.env = std::move(env);
  r.cwd = t.workdir;
  r.stdout_fd = open_log(t.stdout_path);
  r.stderr_fd = open_log(t.stderr_path);
  Result<pid_t> pid = r.stdout_fd < 0 || r.stderr_fd < 0
                          ? Result<pid_t>(Failed("cannot open the task's log files: " +
                                                 std::string(std::strerror(errno))))
                          : s->process->fork_task(r);
  if (r.stdout_fd >= 0) ::close(r.stdout_fd);
  if (r.stderr_fd >= 0) ::close(r.stderr_fd);
  if (!pid.ok()) {
    // The server is dropped (a new one starts for the next step); this step starts cold.
    s->process.reset();
    ++s->failures;
    say_once(key + "#fork",
             "the warm Python executor for " + venv.string() +
                 " failed, steps start their own interpreter: " + pid.status().message());
    return std::nullopt;
  }
  return *pid;
}

}  // namespace slipway::pyexec
