#include "core/tee_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/files.h"

namespace slipway {

namespace {

volatile sig_atomic_t g_child = 0;

void forward(int sig) {
  if (g_child > 0) ::kill(g_child, sig);
}

void write_all(int fd, const char* p, ssize_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, static_cast<size_t>(n));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // a closed log must not stop the command's other copy
    p += w;
    n -= w;
  }
}

}  // namespace

namespace {

int run_and_copy(const std::vector<std::string>& argv, const std::string& out_path,
                 const std::string& err_path);

}  // namespace

int run_teed(const std::vector<std::string>& argv, const TeeOptions& o) {
  std::error_code ec;
  for (const auto& d : o.mkdirs) std::filesystem::create_directories(d, ec);
  for (const auto& f : {o.out_path, o.err_path, o.exit_path})
    if (!f.empty()) std::filesystem::create_directories(std::filesystem::path(f).parent_path(), ec);
  int rc = run_and_copy(argv, o.out_path, o.err_path);
  if (!o.exit_path.empty()) {
    Status st = write_file_atomic(o.exit_path, std::to_string(rc) + "\n");
    if (!st.ok()) std::fprintf(stderr, "slipway __tee: %s\n", st.message().c_str());
  }
  return rc;
}

namespace {

int run_and_copy(const std::vector<std::string>& argv, const std::string& out_path,
                 const std::string& err_path) {
  int out_file = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int err_file = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_file < 0 || err_file < 0)
    std::fprintf(stderr, "slipway __tee: cannot open %s: %s (the output goes to this log only)\n",
                 (out_file < 0 ? out_path : err_path).c_str(), std::strerror(errno));
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    std::perror("slipway __tee: pipe");
    return 127;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("slipway __tee: fork");
    return 127;
  }
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "slipway __tee: cannot run %s: %s\n", argv[0].c_str(),
                 std::strerror(errno));
    ::_exit(127);
  }
  g_child = pid;
  struct sigaction sa {};
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) ::sigaction(s, &sa, nullptr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  // Copy until both pipes close: the command and anything it left running have let go.
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  const int copies[2][2] = {{1, out_file}, {2, err_file}};
  int open_pipes = 2;
  char buf[65536];
  while (open_pipes > 0) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
        continue;
      }
      write_all(copies[i][0], buf, r);
      if (copies[i][1] >= 0) write_all(copies[i][1], buf, r);
    }
  }
  // As a container's PID 1 this process also inherits orphans: reap them on the way.
  int status = 0;
  for (;;) {
    int st = 0;
    pid_t w = ::waitpid(-1, &st, 0);
    if (w == pid) {
      status = st;
      break;
    }
    if (w < 0 && errno != EINTR) break;
  }
  if (out_file >= 0) ::fsync(out_file), ::close(out_file);
  if (err_file >= 0) ::fsync(err_file), ::close(err_file);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

}  // namespace slipway
