// Short helper commands (sbatch, squeue, kubectl, dot) run to completion with their output
// captured, and daemons started apart from the caller. posix_spawn throughout: the callers are
// multi-threaded (the server, a driver with its backend), where fork() is unsafe and slow.
#include "core/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace slipway {

Result<CommandResult> run_command(const std::vector<std::string>& argv, int timeout_ms,
                                  const std::string& stdin_text) {
  if (argv.empty()) return InvalidInput("empty command");
  // O_CLOEXEC: a child started meanwhile by another thread must not inherit our ends, or this
  // read would wait for its exit as well.
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
      pipe2(in_pipe, O_CLOEXEC) != 0)
    return Failed(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  // The caller may block SIGCHLD (the local backend does) or others; the helper starts clean.
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(in_pipe[0]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    close(in_pipe[1]);
    return Failed("cannot run '" + argv[0] + "': " + std::strerror(rc) +
                  (rc == ENOENT ? " (is it installed and on PATH?)" : ""));
  }
  // stdin is written whole before any output is read. That suits the callers (kubectl apply -f -
  // and dot read all their input before they write), but a helper that wrote more than a pipe
  // buffer before reading its input would stall until the timeout.
  if (!stdin_text.empty()) {
    ssize_t ignored = write(in_pipe[1], stdin_text.data(), stdin_text.size());
    (void)ignored;
  }
  close(in_pipe[1]);

  CommandResult res;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[8192];
  bool killed = false;
  // Both pipes at once: reading one to its end first could deadlock on a helper that fills the
  // other (kubectl writes long warnings to stderr).
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      // A hung sbatch or kubectl (controller down, API server unreachable) must not hang the
      // driver: it is killed and the caller gets an error naming it.
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    int n = poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        (i == 0 ? res.out : res.err).append(buf, static_cast<size_t>(r));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  // This pid only: waitpid(-1) here would steal the exit of a task the local backend waits for.
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed)
    return Failed("'" + argv[0] + "' did not answer within " + std::to_string(timeout_ms / 1000) +
                  " s");
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return res;
}

Result<int> spawn_detached(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) return InvalidInput("empty command");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  // Its own session: a signal to the server's process group (Ctrl-C) does not reach it.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Failed("cannot start '" + argv[0] + "': " + std::strerror(rc));
  return static_cast<int>(pid);
}

bool warn_unless_succeeded(const Result<CommandResult>& r, const std::string& what,
                           const std::string& consequence) {
  if (r.ok() && r->exit_code == 0) return true;
  std::string why = !r.ok()           ? r.status().message()
                    : !r->err.empty() ? r->err
                                      : "exit status " + std::to_string(r->exit_code);
  while (!why.empty() && why.back() == '\n') why.pop_back();
  std::fprintf(stderr, "slipway: warning: %s failed: %s; %s\n", what.c_str(), why.c_str(),
               consequence.c_str());
  return false;
}

}  // namespace slipway
