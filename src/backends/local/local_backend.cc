// The local backend: each attempt is a child process of the driver, in a process group of its own,
// counted against this machine's CPUs, memory and GPUs. Completions come from waitpid, woken by
// SIGCHLD (blocked and taken with sigtimedwait, so no signal handler runs inside the engine).
#include "backends/local/local_backend.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "backends/local/process_scan.h"
#include "core/clock.h"
#include "core/cstring_array.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/units.h"

extern char** environ;

namespace slipway::backends {

LocalCapacity LocalCapacity::detect() {
  LocalCapacity c;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  c.millicpus = (n > 0 ? n : 1) * 1000;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  c.memory_bytes = pages > 0 && page > 0 ? static_cast<std::int64_t>(pages) * page : 0;
  std::error_code ec;
  // Device nodes, not the driver library: the count must work on a machine whose CUDA is broken or
  // absent, and a task that asks for a GPU there is refused by check_fits with the count.
  for (int i = 0; i < 64; ++i)
    if (std::filesystem::exists("/dev/nvidia" + std::to_string(i), ec)) c.gpus = i + 1;
  if (const char* v = std::getenv("SLIPWAY_LOCAL_CPUS")) {
    if (auto m = parse_millicpus(v); m.ok() && *m > 0) c.millicpus = *m;
  }
  if (const char* v = std::getenv("SLIPWAY_LOCAL_MEMORY")) {
    if (auto m = parse_memory_bytes(v); m.ok()) c.memory_bytes = *m;
  }
  if (const char* v = std::getenv("SLIPWAY_LOCAL_GPUS")) c.gpus = std::atoi(v);
  return c;
}

LocalBackend::LocalBackend(LocalCapacity cap)
    : cap_(cap), python_(std::make_unique<pyexec::PythonExecutors>(self_executable().string())) {
  for (int i = 0; i < cap_.gpus; ++i) free_gpus_.insert(i);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  // Blocked for good: wait() takes SIGCHLD synchronously with sigtimedwait. Children get it back
  // unblocked (posix_spawnattr_setsigmask below).
  sigprocmask(SIG_BLOCK, &set, nullptr);
}

LocalBackend::~LocalBackend() {
  // Never leave children behind: a destroyed backend stops what it started.
  std::vector<pid_t> pids;
  for (const auto& [pid, _] : running_) pids.push_back(pid);
  if (!pids.empty()) stop_processes(pids, 2000);
  for (pid_t p : pids) waitpid(p, nullptr, 0);
}

static std::string cpus_text(std::int64_t millicpus) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(millicpus) / 1000.0);
  return buf;
}

static std::string describe(const LocalCapacity& c) {
  return cpus_text(c.millicpus) + " CPUs, " + std::to_string(c.memory_bytes >> 20) + " MiB, " +
         std::to_string(c.gpus) + " GPUs";
}

// Resources are per rank (or replica): a task of 4 ranks with 2 CPUs each needs 8 CPUs here.
Status LocalBackend::check_fits(const spec::Resources& r) const {
  std::vector<std::string> short_of;
  std::int64_t ranks = r.processes();
  if (r.nodes > 1)
    short_of.push_back(std::to_string(r.nodes) +
                       " nodes (the local backend is one node; use --backend slurm)");
  if (r.millicpus * ranks > cap_.millicpus)
    short_of.push_back(cpus_text(r.millicpus * ranks) + " CPUs");
  if (cap_.memory_bytes > 0 && r.memory_bytes * ranks > cap_.memory_bytes)
    short_of.push_back(std::to_string((r.memory_bytes * ranks) >> 20) + " MiB of memory");
  if (r.gpus * ranks > cap_.gpus) short_of.push_back(std::to_string(r.gpus * ranks) + " GPUs");
  if (short_of.empty()) return Status::Ok();
  return InvalidInput("asks for " + join(short_of, ", ") + ", but this machine has " +
                      describe(cap_) +
                      "; lower the task's resources or set SLIPWAY_LOCAL_CPUS/_MEMORY/_GPUS");
}

bool LocalBackend::has_room(const spec::Resources& r) const {
  std::int64_t ranks = r.processes();
  return used_millicpus_ + r.millicpus * ranks <= cap_.millicpus &&
         (cap_.memory_bytes == 0 || used_memory_ + r.memory_bytes * ranks <= cap_.memory_bytes) &&
         static_cast<std::int64_t>(free_gpus_.size()) - reserved_gpus_ >= r.gpus * ranks;
}

bool LocalBackend::reserve(const spec::Resources& r) {
  if (!has_room(r)) return false;
  std::int64_t ranks = r.processes();
  used_millicpus_ += r.millicpus * ranks;
  used_memory_ += r.memory_bytes * ranks;
  reserved_gpus_ += static_cast<int>(r.gpus * ranks);
  return true;
}

Result<LaunchHandle> LocalBackend::launch(const TaskLaunch& l) {
  if (l.argv.empty()) return InvalidInput("task " + l.task + " has an empty command");
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(l.stdout_path).parent_path(), ec);

  Running run;
  run.key = l.key;
  run.res = l.resources;
  std::int64_t ranks = l.resources.processes();
  for (int i = 0; i < l.resources.gpus * ranks && !free_gpus_.empty(); ++i) {
    run.gpu_ids.push_back(*free_gpus_.begin());
    free_gpus_.erase(free_gpus_.begin());
    --reserved_gpus_;
  }

  // Environment: inherited, then the launch's additions, then GPU assignment.
  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env_map[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
  }
  for (const auto& [k, v] : l.env) env_map[k] = v;
  // Set even when the task asked for none ("" hides every GPU): a task that did not reserve a GPU
  // must not grab one that another task holds.
  if (cap_.gpus > 0 || l.resources.gpus > 0) {
    std::vector<std::string> ids;
    for (int g : run.gpu_ids) ids.push_back(std::to_string(g));
    env_map["CUDA_VISIBLE_DEVICES"] = join(ids, ",");
  }
  if (auto forked = python_->launch({l.argv, env_map, l.workdir, l.stdout_path, l.stderr_path})) {
    run.pid = *forked;
    by_key_[l.key] = *forked;
    running_[*forked] = std::move(run);
    return LaunchHandle{*forked, std::to_string(*forked)};
  }
  CStringArray envp = CStringArray::environment(env_map);
  CStringArray argv(l.argv);

  // posix_spawn, not fork: the driver may hold a large heap and several threads, and vfork-style
  // spawning costs the same whatever its size.
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, l.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&fa, 2, l.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (!l.workdir.empty()) posix_spawn_file_actions_addchdir_np(&fa, l.workdir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with no signal blocked and the signals a shell would reset at their defaults,
  // whatever the driver blocks or ignores for itself.
  sigset_t none, all_default;
  sigemptyset(&none);
  sigemptyset(&all_default);
  sigaddset(&all_default, SIGPIPE);
  sigaddset(&all_default, SIGINT);
  sigaddset(&all_default, SIGTERM);
  sigaddset(&all_default, SIGCHLD);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setpgroup(&attr, 0);  // its own process group, so cancel reaches grandchildren
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_USEVFORK);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv.front(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    // Nothing started: give back what reserve() and the GPU pick took, or the capacity leaks.
    for (int g : run.gpu_ids) free_gpus_.insert(g);
    used_millicpus_ -= l.resources.millicpus * ranks;
    used_memory_ -= l.resources.memory_bytes * ranks;
    return Failed("cannot start '" + l.argv[0] + "': " + std::strerror(rc) +
                  (rc == ENOENT ? " (is it installed and on PATH?)" : ""));
  }
  run.pid = pid;
  by_key_[l.key] = pid;
  running_[pid] = std::move(run);
  return LaunchHandle{pid, std::to_string(pid)};
}

void LocalBackend::expect_commands(const std::vector<std::vector<std::string>>& commands) {
  python_->expect_commands(commands);
}

std::int64_t LocalBackend::next_kill_deadline() const {
  std::int64_t next = 0;
  for (const auto& [_, r] : running_)
    if (r.terminating && (next == 0 || r.kill_at_ms < next)) next = r.kill_at_ms;
  return next;
}

// SIGTERM first (terminate), SIGKILL to the whole group once the grace period is over.
void LocalBackend::escalate_kills(std::int64_t now) {
  for (auto& [pid, r] : running_) {
    if (r.terminating && r.kill_at_ms > 0 && now >= r.kill_at_ms) {
      ::kill(-pid, SIGKILL);
      r.kill_at_ms = 0;
    }
  }
}

std::vector<Completion> LocalBackend::wait(std::int64_t timeout_ms) {
  std::vector<Completion> out;
  auto reap = [&]() {
    for (;;) {
      int status = 0;
      // Any child: the driver has no other children of its own while the engine runs, and a pid
      // that is not ours (a warm Python executor, or a task's orphan handed to the driver as its
      // subreaper) is skipped below.
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      auto it = running_.find(pid);
      if (it == running_.end()) continue;
      Running& r = it->second;
      // The group may still hold grandchildren; stop them so nothing outlives its task.
      ::kill(-pid, SIGKILL);
      Completion c;
      c.key = r.key;
      c.finished_ms = now_ms();
      c.terminated = r.terminating;
      if (WIFEXITED(status)) {
        c.exit_code = WEXITSTATUS(status);
        c.message = c.exit_code == 0 ? "" : "exited with code " + std::to_string(c.exit_code);
      } else if (WIFSIGNALED(status)) {
        c.signal = WTERMSIG(status);
        c.message = std::string("killed by signal ") + strsignal(c.signal);
      }
      std::int64_t ranks = r.res.processes();
      used_millicpus_ -= r.res.millicpus * ranks;
      used_memory_ -= r.res.memory_bytes * ranks;
      for (int g : r.gpu_ids) free_gpus_.insert(g);
      by_key_.erase(r.key);
      running_.erase(it);
      out.push_back(std::move(c));
    }
  };
  reap();
  if (!out.empty() || running_.empty()) {
    // Nothing runs, so no SIGCHLD can end the wait early: sleep the timeout (the engine's next
    // retry, deadline or heartbeat) instead of spinning.
    if (running_.empty() && out.empty() && timeout_ms > 0) {
      struct timespec ts {
        static_cast<time_t>(timeout_ms / 1000), static_cast<long>((timeout_ms % 1000) * 1'000'000)
      };
      nanosleep(&ts, nullptr);
    }
    return out;
  }
  std::int64_t now = now_ms();
  std::int64_t kill_deadline = next_kill_deadline();
  if (kill_deadline > 0)
    timeout_ms = std::max<std::int64_t>(0, std::min(timeout_ms, kill_deadline - now));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  struct timespec ts {
    static_cast<time_t>(timeout_ms / 1000), static_cast<long>((timeout_ms % 1000) * 1'000'000)
  };
  // Returns on the first SIGCHLD or at the timeout; several exits may share one signal, which is
  // why reap() loops until waitpid has nothing more.
  sigtimedwait(&set, nullptr, &ts);
  escalate_kills(now_ms());
  reap();
  return out;
}

void LocalBackend::terminate(const std::string& key, std::int64_t grace_ms) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  Running& r = running_[it->second];
  if (r.terminating) return;
  r.terminating = true;
  r.kill_at_ms = now_ms() + grace_ms;
  ::kill(-r.pid, SIGTERM);
}

// A new driver cannot wait for processes it did not start (they are not its children), so it
// adopts none: it finds the run's leftovers by the SLIPWAY_RUN_ID in their environment, stops
// them, and the engine runs those tasks again.
Result<std::vector<std::string>> LocalBackend::reattach(const std::string& run_id,
                                                        const std::vector<Adoptable>&) {
  std::vector<pid_t> foreign;
  for (pid_t p : find_run_processes(run_id))
    if (!running_.count(p)) foreign.push_back(p);
  if (!foreign.empty()) stop_processes(foreign, 3000);
  return std::vector<std::string>{};
}

}  // namespace slipway::backends
