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

#include "core/files.h"
#include "core/hash.h"
#include "core/strings.h"
#include "core/subprocess.h"

extern char** environ;

namespace slipway {

namespace fs = std::filesystem;

namespace {

// pip's output goes where this process's goes: a long install shows its progress.
int run_inheriting(const std::vector<std::string>& argv) {
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
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

}  // namespace

fs::path pyenvs_root(const fs::path& home) {
  const char* shared = std::getenv("SLIPWAY_PYENVS");
  return shared && *shared ? fs::path(shared) : home / "pyenvs";
}

Result<fs::path> ensure_pyenv(const fs::path& root, std::vector<std::string> specs) {
  std::sort(specs.begin(), specs.end());
  specs.erase(std::unique(specs.begin(), specs.end()), specs.end());
  const std::string key = sha256_hex(join(specs, "\n")).substr(0, 16);
  const fs::path env = root / key;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec)
    return Failed("cannot create the Python environments' folder " + root.string() + ": " +
                  ec.message());
  FileLock lock(root / (key + ".lock"));
  if (!lock.held())
    return Failed("cannot lock " + (root / (key + ".lock")).string() + ": " + std::strerror(errno));
  if (fs::exists(env / ".ready")) return env;
  std::fprintf(stderr, "slipway: creating the Python environment %s for: %s\n", env.c_str(),
               join(specs, " ").c_str());
  if (std::string missing = venv_missing_piece(); !missing.empty())
    return Failed("cannot create the Python environment " + env.string() + ": " + missing);
  fs::remove_all(env, ec);
  std::vector<std::string> install = {(env / "bin" / "pip").string(), "install", "--quiet",
                                      "--disable-pip-version-check"};
  install.insert(install.end(), specs.begin(), specs.end());
  if (run_inheriting({"python3", "-m", "venv", env.string()}) != 0 || run_inheriting(install) != 0)
    return Failed("could not create the Python environment " + env.string() + " for " +
                  join(specs, " ") + "; see pip's messages above");
  if (Status w = write_file_atomic(env / ".ready", join(specs, "\n") + "\n"); !w.ok())
    return Failed("cannot mark the Python environment " + env.string() + " ready: " + w.message());
  return env;
}

}  // namespace slipway
