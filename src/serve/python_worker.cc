#include "serve/python_worker.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "serve/tensor_codec.h"

extern char** environ;

namespace slipway::serve {

namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text() { return std::strerror(errno); }

// The daemon's environment with `extra` set over it.
std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) vars[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
  return out;
}

void reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<std::unique_ptr<PythonWorker>> PythonWorker::start(const WorkerLaunch& launch, Json* ready,
                                                          std::string* ready_data) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return Failed("cannot create the model worker's socket: " + errno_text());
  // The child's end becomes its fd 3. dup2 onto itself would leave close-on-exec set, so an end
  // that already is fd 3 is duplicated out of the way first.
  int child_end = fds[1];
  if (child_end == 3) {
    child_end = fcntl(fds[1], F_DUPFD_CLOEXEC, 4);
    ::close(fds[1]);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_end, 3);
  std::vector<std::string> argv = {launch.python,    launch.script.string(),
                                   "--fd",           "3",
                                   "--format",       launch.format,
                                   "--model-dir",    launch.model_dir.string(),
                                   "--cpus",         std::to_string(launch.cpus),
                                   "--memory-bytes", std::to_string(launch.memory_bytes)};
  if (!launch.predictor_file.empty())
    argv.insert(argv.end(), {"--predictor-file", launch.predictor_file.string()});
  if (!launch.name.empty()) argv.insert(argv.end(), {"--name", launch.name});
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env = environment_with(launch.env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(child_end);
  if (rc != 0) {
    ::close(fds[0]);
    return Failed("cannot start the model worker " + launch.python + ": " + std::strerror(rc));
  }
  std::unique_ptr<PythonWorker> w(new PythonWorker(pid, fds[0]));
  Json header;
  std::string data;
  if (Status s = w->receive(&header, &data, Clock::now() + launch.load_timeout); !s.ok())
    return Failed("the " + launch.format + " model worker for " + launch.model_dir.string() +
                  " did not report its model loaded: " + s.message());
  if (header.contains("error"))
    return Failed(header["error"].is_string() ? header["error"].get<std::string>()
                                              : header["error"].dump());
  *ready = std::move(header);
  if (ready_data) *ready_data = std::move(data);
  return w;
}

PythonWorker::~PythonWorker() {
  ::close(fd_);  // the worker sees EOF and exits; the kill covers one that is busy or hung
  reap(pid_);
}

Status PythonWorker::send(const Json& header, const std::string& data) {
  const std::string text = header.dump(-1, ' ', false, Json::error_handler_t::replace);
  char prefix[12];
  const std::uint32_t json_len = static_cast<std::uint32_t>(text.size());
  const std::uint64_t data_len = data.size();
  std::memcpy(prefix, &json_len, 4);
  std::memcpy(prefix + 4, &data_len, 8);
  iovec parts[3] = {{prefix, 12},
                    {const_cast<char*>(text.data()), text.size()},
                    {const_cast<char*>(data.data()), data.size()}};
  int first = 0;
  while (first < 3) {
    msghdr msg{};
    msg.msg_iov = parts + first;
    msg.msg_iovlen = 3 - first;
    ssize_t n = sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable("the model worker's socket is closed (" + errno_text() + ")");
    }
    while (first < 3 && static_cast<size_t>(n) >= parts[first].iov_len)
      n -= static_cast<ssize_t>(parts[first++].iov_len);
    if (first < 3) {
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + n;
      parts[first].iov_len -= static_cast<size_t>(n);
    }
  }
  return Status::Ok();
}

Status PythonWorker::receive(Json* header, std::string* data, Clock::time_point deadline) {
  auto read_exact = [&](char* p, size_t n) -> Status {
    while (n > 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return Unavailable("no answer in time");
      pollfd pfd{fd_, POLLIN, 0};
      const int r = poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Unavailable("poll: " + errno_text());
      if (r == 0) continue;  // the deadline check above ends it
      const ssize_t got = ::recv(fd_, p, n, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Unavailable("the worker process exited");
      p += got;
      n -= static_cast<size_t>(got);
    }
    return Status::Ok();
  };
  char prefix[12];
  SLIPWAY_RETURN_IF_ERROR(read_exact(prefix, 12));
  std::uint32_t json_len;
  std::uint64_t data_len;
  std::memcpy(&json_len, prefix, 4);
  std::memcpy(&data_len, prefix + 4, 8);
  std::string text(json_len, '\0');
  SLIPWAY_RETURN_IF_ERROR(read_exact(text.data(), json_len));
  data->assign(data_len, '\0');
  SLIPWAY_RETURN_IF_ERROR(read_exact(data->data(), data_len));
  *header = Json::parse(text, nullptr, false);
  if (!header->is_object()) return Unavailable("the worker sent a malformed frame");
  return Status::Ok();
}

Result<std::vector<Tensor>> PythonWorker::infer(const std::vector<Tensor>& inputs,
                                                const Json& parameters,
                                                std::chrono::milliseconds timeout, Timing* timing) {
  const auto start = Clock::now();
  Json header = {{"op", "infer"}, {"inputs", Json::array()}, {"parameters", parameters}};
  std::string data;
  for (const auto& t : inputs) {
    const size_t before = data.size();
    append_raw(t, &data);
    Json spec = {{"name", t.name},
                 {"datatype", t.datatype},
                 {"shape", t.shape},
                 {"size", data.size() - before}};
    if (t.parameters.is_object() && !t.parameters.empty()) spec["parameters"] = t.parameters;
    header["inputs"].push_back(std::move(spec));
  }
  Json reply;
  std::string out;
  Status s = send(header, data);
  if (s.ok()) s = receive(&reply, &out, Clock::now() + timeout);
  if (!s.ok()) {
    broken_ = true;
    return Unavailable("the model's worker process (pid " + std::to_string(pid_) +
                       ") failed: " + s.message() + "; it is being restarted");
  }
  if (timing) {
    timing->round_trip_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    timing->model_seconds = reply.value("model_seconds", 0.0);
  }
  if (reply.contains("error")) {
    std::string why =
        reply["error"].is_string() ? reply["error"].get<std::string>() : reply["error"].dump();
    return reply.value("invalid_input", false) ? InvalidInput("the model refused the input: " + why)
                                               : Failed("the model failed: " + why);
  }
  std::vector<Tensor> outputs;
  size_t at = 0;
  for (const auto& spec : reply.value("outputs", Json::array())) {
    const size_t size = spec.value("size", size_t{0});
    if (size > out.size() - at) {
      broken_ = true;
      return Unavailable("the model's worker sent a truncated answer; it is being restarted");
    }
    const std::string name = spec.value("name", std::string());
    auto t = tensor_from_raw(name, spec.value("datatype", std::string()),
                             spec.value("shape", std::vector<std::int64_t>{}),
                             std::string_view(out).substr(at, size), "output '" + name + "'");
    if (!t.ok()) return Failed("the model's output: " + t.status().message());
    at += size;
    outputs.push_back(std::move(*t));
  }
  return outputs;
}

}  // namespace slipway::serve
