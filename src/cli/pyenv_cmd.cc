// `slipway __pyenv -- CMD ARGS...`: runs a KFP Python component (python3 -m
// kfp.dsl.executor_main) inside a virtual environment that has kfp and the component's
// packages_to_install. One environment per distinct package set, created on first use under
// $SLIPWAY_PYENVS (default $SLIPWAY_HOME/pyenvs) and reused; creation is serialized with a file
// lock, so parallel tasks (and tasks on other nodes sharing the home) never install into one
// environment at once.
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "cli/commands.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/strings.h"
#include "core/subprocess.h"

extern char** environ;

namespace slipway::cli {

namespace fs = std::filesystem;

namespace {

// The requirement specs of every `pip install` in the component's command, with flags dropped:
// kfp itself is installed with its dependencies (the compiled command says --no-deps because it
// expects an image that has them).
std::vector<std::string> pip_specs(const Args& argv) {
  std::set<std::string> specs;
  static const std::regex kInstall(R"(pip install([^&|;]*))");
  static const std::regex kQuoted(R"('([^']+)')");
  for (const auto& a : argv) {
    for (auto it = std::sregex_iterator(a.begin(), a.end(), kInstall); it != std::sregex_iterator();
         ++it) {
      std::string seg = (*it)[1];
      for (auto q = std::sregex_iterator(seg.begin(), seg.end(), kQuoted);
           q != std::sregex_iterator(); ++q) {
        std::string s = (*q)[1];
        if (!starts_with(s, "-")) specs.insert(s);
      }
    }
  }
  return {specs.begin(), specs.end()};
}

int run_inheriting(const std::vector<std::string>& argv) {
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return 127;
  int status = 0;
  waitpid(pid, &status, 0);
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

}  // namespace

int cmd_pyenv(const Args& args) {
  auto sep = std::find(args.begin(), args.end(), "--");
  if (sep == args.end() || sep + 1 == args.end()) {
    std::fprintf(stderr, "usage: slipway __pyenv -- CMD ARGS...\n");
    return 2;
  }
  Args cmd(sep + 1, args.end());
  std::vector<std::string> specs = pip_specs(cmd);
  // A component built into its own image (`kfp component build`) installs nothing at run time;
  // it still needs kfp's executor.
  if (specs.empty()) specs = {"kfp"};
  std::string key = sha256_hex(join(specs, "\n")).substr(0, 16);
  // $SLIPWAY_PYENVS shares environments beyond one home (a cluster's shared path, a test
  // suite's runs); by default they live in the home.
  const char* shared = std::getenv("SLIPWAY_PYENVS");
  fs::path root = shared && *shared ? fs::path(shared) : slipway_home() / "pyenvs";
  fs::path env = root / key;
  std::error_code ec;
  fs::create_directories(root, ec);
  int lock = ::open((root / (key + ".lock")).c_str(), O_CREAT | O_RDWR, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) {
    std::perror("slipway __pyenv: lock");
    return 1;
  }
  if (!fs::exists(env / ".ready")) {
    std::fprintf(stderr, "slipway: creating the Python environment %s for: %s\n", env.c_str(),
                 join(specs, " ").c_str());
    if (std::string missing = venv_missing_piece(); !missing.empty()) {
      std::fprintf(stderr, "slipway: cannot create the Python environment %s: %s\n", env.c_str(),
                   missing.c_str());
      return 1;
    }
    fs::remove_all(env, ec);
    std::vector<std::string> install = {(env / "bin" / "pip").string(), "install", "--quiet",
                                        "--disable-pip-version-check"};
    install.insert(install.end(), specs.begin(), specs.end());
    if (run_inheriting({"python3", "-m", "venv", env.string()}) != 0 ||
        run_inheriting(install) != 0) {
      std::fprintf(stderr,
                   "slipway: could not create the Python environment %s; see the messages above\n",
                   env.c_str());
      return 1;
    }
    if (Status w = write_file_atomic(env / ".ready", join(specs, "\n") + "\n"); !w.ok()) {
      std::fprintf(stderr, "slipway: cannot mark the Python environment %s ready: %s\n",
                   env.c_str(), w.message().c_str());
      return 1;
    }
  }
  flock(lock, LOCK_UN);
  ::close(lock);
  std::string path =
      (env / "bin").string() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  setenv("PATH", path.c_str(), 1);
  setenv("VIRTUAL_ENV", env.c_str(), 1);
  std::vector<char*> argv;
  for (auto& a : cmd) argv.push_back(a.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::perror(("slipway __pyenv: " + cmd[0]).c_str());
  return 127;
}

}  // namespace slipway::cli
