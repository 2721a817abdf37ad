#include "pyexec/fork_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/cstring_array.h"
#include "core/json.h"

namespace slipway::pyexec {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string errno_text() { return std::strerror(errno); }

// Loads the server file as a module of its own, so the task's __main__ starts as `python3 -m`
// leaves it (the server removes the names this line adds).
constexpr const char* kStub =
    "import sys, importlib.util as u; s = u.spec_from_file_location('_slipway_python_executor', "
    "sys.argv[1]); m = u.module_from_spec(s); sys.modules[s.name] = m; s.loader.exec_module(m); "
    "m.serve(sys.argv[2:])";

Status send_all(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable("the Python executor's socket is closed (" + errno_text() + ")");
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

bool become_subreaper() { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0; }

Result<std::unique_ptr<ForkServer>> ForkServer::start(const ForkServerStart& s,
                                                      std::string* unforkable_module) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return Failed("cannot create the Python executor's socket: " + errno_text());
  // The server's end becomes its fd 3 (dup2 onto itself would keep close-on-exec).
  int child_end = fds[1];
  if (child_end == 3) {
    child_end = fcntl(fds[1], F_DUPFD_CLOEXEC, 4);
    ::close(fds[1]);
  }
  std::error_code ec;
  fs::create_directories(s.log.parent_path(), ec);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, s.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_adddup2(&fa, child_end, 3);
  // Imports see "/" as the working directory (sys.path[0]): no file of a task's directory can
  // stand in for a package the server preloads.
  posix_spawn_file_actions_addchdir_np(&fa, "/");
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Signals as a task's: the tasks it forks inherit them.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);  // a terminal's Ctrl-C reaches the driver, not it
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  Json spec = {{"preload", s.preload}, {"skip", s.skip}};
  CStringArray argv(
      std::vector<std::string>{s.python, "-c", kStub, s.script.string(), spec.dump()});
  CStringArray envp = CStringArray::environment(s.env);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv.front(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(child_end);
  if (rc != 0) {
    ::close(fds[0]);
    return Failed("cannot start the Python executor " + s.python + ": " + std::strerror(rc));
  }
  std::unique_ptr<ForkServer> server(new ForkServer(pid, fds[0]));
  auto line = server->read_line(Clock::now() + s.ready_timeout);
  if (!line.ok())
    return Failed("the Python executor did not start (" + line.status().message() + "); see " +
                  s.log.string());
  Json ready = Json::parse(*line, nullptr, false);
  if (ready.is_discarded() || !ready.is_object())
    return Failed("the Python executor answered '" + *line + "' instead of its ready line");
  if (!ready.value("ready", false)) {
    if (unforkable_module) *unforkable_module = ready.value("unforkable_module", "");
    return Failed("the Python executor is not usable: " +
                  ready.value("error", line->substr(0, 200)));
  }
  return server;
}

ForkServer::~ForkServer() {
  ::close(fd_);  // end of file: the server exits
  // Another waiter (the local backend reaps any child) may have taken it already, and then its pid
  // may be someone else's: it is killed only while it is still ours to wait for.
  for (int i = 0; i < 200; ++i) {
    pid_t r = waitpid(pid_, nullptr, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) return;
    usleep(10'000);
  }
  ::kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

Result<std::string> ForkServer::read_line(Clock::time_point deadline) {
  for (;;) {
    if (size_t nl = buffered_.find('\n'); nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Unavailable("no answer in time");
    pollfd p{fd_, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t got = ::read(fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return Unavailable("it exited");
    buffered_.append(buf, static_cast<size_t>(got));
  }
}

Result<pid_t> ForkServer::fork_task(const ForkRequest& r) {
  Json body = {
      {"module", r.module}, {"source", r.source}, {"args", r.args}, {"env", r.env}, {"cwd", r.cwd}};
  const std::string text = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::uint32_t header[2] = {static_cast<std::uint32_t>(text.size()), 2};
  // The header carries the task's stdout and stderr descriptors.
  int fds[2] = {r.stdout_fd, r.stderr_fd};
  char control[CMSG_SPACE(sizeof fds)] = {};
  iovec iov{header, sizeof header};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  std::memcpy(CMSG_DATA(c), fds, sizeof fds);
  ssize_t n;
  do {
    n = sendmsg(fd_, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof header))
    return Unavailable("the Python executor's socket is closed (" + errno_text() + ")");
  SLIPWAY_RETURN_IF_ERROR(send_all(fd_, text.data(), text.size()));
  auto line = read_line(Clock::now() + std::chrono::seconds(30));
  if (!line.ok()) return Unavailable("the Python executor " + line.status().message());
  Json reply = Json::parse(*line, nullptr, false);
  if (reply.is_object() && reply.contains("pid") && reply["pid"].is_number_integer())
    return static_cast<pid_t>(reply["pid"].get<int>());
  return Failed("the Python executor could not start the task: " +
                (reply.is_object() ? reply.value("error", *line) : *line));
}

}  // namespace slipway::pyexec
