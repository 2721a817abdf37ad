#include "core/pyenv.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "core/cstring_array.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/strings.h"
#include "core/subprocess.h"

extern char** environ;

namespace slipway {

namespace fs = std::filesystem;

namespace {

// The installer's output goes where this process's goes: a long install shows its progress.
// `extra` is set over this process's environment for the child alone (the serving daemon calls
// this from several threads, where setenv is not safe). With `err_tail`, the child's stderr also
// passes through here and its last 16 KiB are kept, for the error message.
int run_inheriting(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& extra = {},
                   std::string* err_tail = nullptr) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) vars[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
  }
  for (const auto& [k, v] : extra) vars[k] = v;
  CStringArray args(argv);
  CStringArray envp = CStringArray::environment(vars);
  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (err_tail && ::pipe2(pipe_fds, O_CLOEXEC) == 0)
    posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 2);
  pid_t pid;
  const int rc = posix_spawnp(&pid, args.front(), &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (pipe_fds[1] >= 0) ::close(pipe_fds[1]);
  if (rc != 0) {
    if (pipe_fds[0] >= 0) ::close(pipe_fds[0]);
    return 127;
  }
  if (pipe_fds[0] >= 0) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (::write(2, buf, static_cast<size_t>(n)) < 0) {
      }  // our own stderr gone: the tail is still kept
      err_tail->append(buf, static_cast<size_t>(n));
      if (err_tail->size() > 16384) err_tail->erase(0, err_tail->size() - 16384);
    }
    ::close(pipe_fds[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// The installer's own error from its stderr: uv's lines from its first "error:", pip's "ERROR:"
// lines, else its last line; on one line.
std::string installer_error(const std::string& err) {
  std::vector<std::string> lines;
  bool in_error = false;
  for (const auto& raw : split(err, '\n')) {
    const std::string l = trim(raw);
    if (l.empty()) continue;
    if (starts_with(to_lower(l), "error")) in_error = true;
    if (in_error) lines.push_back(l);
  }
  if (lines.empty()) {
    const std::string last = last_line(err);
    if (!last.empty()) lines.push_back(last);
  }
  std::string text = join(lines, " ");
  return text.size() > 600 ? text.substr(0, 600) + "..." : text;
}

// The absolute path of `name` on PATH, or "".
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

// Why a virtual environment cannot be made here, naming the system package that is missing; ""
// when python3 and its venv module (with ensurepip, which Debian ships apart) are present.
std::string venv_missing_piece() {
  auto probe = run_command({"python3", "-c", "import venv, ensurepip"}, 60'000);
  if (!probe.ok())
    return "python3 is not on PATH: install it (Debian/Ubuntu: apt-get install python3 "
           "python3-venv)";
  if (probe->exit_code != 0)
    return "python3 cannot create virtual environments (its venv/ensurepip modules are "
           "missing): install them (Debian/Ubuntu: apt-get install python3-venv)";
  return "";
}

// An exclusive flock on a file, released (and the file closed) when this goes out of scope.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) : fd_(::open(path.c_str(), O_CREAT | O_RDWR, 0644)) {
    if (fd_ >= 0 && flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

// Where slipway keeps a uv it installed itself: the user's cache, shared by every slipway home.
fs::path own_uv_dir() {
  const char* cache = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (cache && *cache) return fs::path(cache) / "slipway" / "uv";
  return fs::path(home && *home ? home : "/tmp") / ".cache" / "slipway" / "uv";
}

// uv: $SLIPWAY_UV ("off" for pip), uv on PATH, or the copy slipway installed for this user,
// installed now when there is none. "" when it cannot be had: the caller uses pip.
std::string find_uv() {
  if (const char* v = std::getenv("SLIPWAY_UV"); v && *v) return switched_off(v) ? "" : v;
  if (std::string on_path = find_on_path("uv"); !on_path.empty()) return on_path;
  const fs::path dir = own_uv_dir();
  const fs::path uv = dir / "bin" / "uv";
  const fs::path failed = dir.parent_path() / "uv-unavailable";
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  FileLock lock(dir.parent_path() / "uv.lock");
  if (::access(uv.c_str(), X_OK) == 0) return uv.string();
  // An earlier try failed (offline, say): pip until a day has passed.
  if (auto t = fs::last_write_time(failed, ec); !ec) {
    if (fs::file_time_type::clock::now() - t < std::chrono::hours(24)) return "";
  }
  std::fprintf(stderr, "slipway: installing uv (the Python package installer) into %s\n",
               dir.c_str());
  fs::remove_all(dir, ec);
  if (run_inheriting({"python3", "-m", "venv", dir.string()}) == 0 &&
      run_inheriting({(dir / "bin" / "pip").string(), "install", "--quiet",
                      "--disable-pip-version-check", "uv"}) == 0 &&
      ::access(uv.c_str(), X_OK) == 0)
    return uv.string();
  std::fprintf(stderr, "slipway: uv could not be installed; environments are built with pip\n");
  fs::remove_all(dir, ec);
  (void)write_file_atomic(failed, "uv could not be installed from PyPI\n");
  return "";
}

// uv's variables for a build: no Python downloads (the environment uses this machine's python3),
// and pip's index variables, which uv does not read itself (as the variables every uv version
// reads). Its package cache is uv's own (the user's, or UV_CACHE_DIR), shared by every
// environment.
std::map<std::string, std::string> uv_environment() {
  std::map<std::string, std::string> env;
  env["UV_PYTHON_DOWNLOADS"] = "never";
  const char* index = std::getenv("PIP_INDEX_URL");
  if (index && !std::getenv("UV_INDEX_URL") && !std::getenv("UV_DEFAULT_INDEX"))
    env["UV_INDEX_URL"] = index;
  const char* extra = std::getenv("PIP_EXTRA_INDEX_URL");
  if (extra && !std::getenv("UV_EXTRA_INDEX_URL") && !std::getenv("UV_INDEX"))
    env["UV_EXTRA_INDEX_URL"] = extra;
  return env;
}

}  // namespace

fs::path pyenvs_root(const fs::path& home) {
  const char* shared = std::getenv("SLIPWAY_PYENVS");
  return shared && *shared ? fs::path(shared) : home / "pyenvs";
}

fs::path pyenv_dir(const fs::path& root, std::vector<std::string> specs) {
  std::sort(specs.begin(), specs.end());
  specs.erase(std::unique(specs.begin(), specs.end()), specs.end());
  return root / sha256_hex(join(specs, "\n")).substr(0, 16);
}

bool pyenv_ready(const fs::path& env) { return ::access((env / ".ready").c_str(), F_OK) == 0; }

Result<fs::path> ensure_pyenv(const fs::path& root, std::vector<std::string> specs) {
  std::sort(specs.begin(), specs.end());
  specs.erase(std::unique(specs.begin(), specs.end()), specs.end());
  const fs::path env = pyenv_dir(root, specs);
  const std::string key = env.filename().string();
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec)
    return Failed("cannot create the Python environments' folder " + root.string() + ": " +
                  ec.message());
  FileLock lock(root / (key + ".lock"));
  if (!lock.held())
    return Failed("cannot lock " + (root / (key + ".lock")).string() + ": " + std::strerror(errno));
  if (pyenv_ready(env)) return env;
  std::fprintf(stderr, "slipway: creating the Python environment %s for: %s\n", env.c_str(),
               join(specs, " ").c_str());
  fs::remove_all(env, ec);
  const std::string python = find_on_path("python3");
  const std::string uv = find_uv();
  if (python.empty() || uv.empty()) {
    if (std::string missing = venv_missing_piece(); !missing.empty())
      return Failed("cannot create the Python environment " + env.string() + ": " + missing);
  }
  std::string installer = "pip";
  std::string err;
  bool built = false;
  if (!uv.empty() && !python.empty()) {
    installer = "uv";
    // --seed puts pip in: a component's own prelude runs `python3 -m pip install` when it is not
    // started through the recognized form.
    const auto uv_env = uv_environment();
    std::vector<std::string> install = {uv, "pip", "install", "--python",
                                        (env / "bin" / "python3").string()};
    // uv leaves bytecode to the first import, which writes it beside the sources; where Python
    // is told not to write it, every step would compile its imports again: compile them now.
    const char* no_bytecode = std::getenv("PYTHONDONTWRITEBYTECODE");
    if (no_bytecode && *no_bytecode) install.push_back("--compile-bytecode");
    install.insert(install.end(), specs.begin(), specs.end());
    built = run_inheriting({uv, "venv", "--quiet", "--seed", "--python", python, env.string()},
                           uv_env, &err) == 0 &&
            run_inheriting(install, uv_env, &err) == 0;
  } else {
    std::vector<std::string> install = {(env / "bin" / "pip").string(), "install", "--quiet",
                                        "--disable-pip-version-check"};
    install.insert(install.end(), specs.begin(), specs.end());
    built = run_inheriting({"python3", "-m", "venv", env.string()}, {}, &err) == 0 &&
            run_inheriting(install, {}, &err) == 0;
  }
  if (!built) {
    fs::remove_all(env, ec);
    return Failed("the Python environment could not be built; " + installer +
                  " says: " + installer_error(err) + " (packages: " + join(specs, ", ") +
                  "; environment: " + env.string() + ")");
  }
  if (Status w = write_file_atomic(env / ".ready", join(specs, "\n") + "\n"); !w.ok())
    return Failed("cannot mark the Python environment " + env.string() + " ready: " + w.message());
  return env;
}

}  // namespace slipway
