// `slipway __pyenv -- CMD ARGS...`: runs a KFP Python component inside a virtual environment that
// has kfp and the component's packages_to_install (core/pyenv.h: one per package set, made once
// and reused). A command in the KFP SDK's own form (pyexec/kfp_python_step.h) runs its executor
// directly: the pip install its shell prelude would repeat is what the environment already holds.
// Other commands run as written, with the environment first on PATH.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/cstring_array.h"
#include "core/files.h"
#include "core/pyenv.h"
#include "pyexec/kfp_python_step.h"

namespace slipway::cli {

namespace fs = std::filesystem;

namespace {

// What the SDK's run script does: the source into a fresh temporary directory (as `mktemp -d`),
// then `python3 -m EXECUTOR --component_module_path FILE ARGS...`.
Result<Args> executor_command(const pyexec::KfpPythonStep& step) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/tmp.XXXXXXXXXX";
  if (!::mkdtemp(dir.data()))
    return Failed("cannot create a temporary directory for the component in " + dir + ": " +
                  std::strerror(errno));
  const fs::path program = fs::path(dir) / "ephemeral_component.py";
  // A scratch file, as the shell's printf writes it: no fsync.
  std::ofstream out(program, std::ios::binary);
  out << step.source;
  out.close();
  if (!out) return Failed("cannot write the component's source to " + program.string());
  Args argv = {"python3", "-m", step.module, "--component_module_path", program.string()};
  argv.insert(argv.end(), step.args.begin(), step.args.end());
  return argv;
}

}  // namespace

int cmd_pyenv(const Args& args) {
  auto sep = std::find(args.begin(), args.end(), "--");
  if (sep == args.end() || sep + 1 == args.end()) {
    std::fprintf(stderr, "usage: slipway __pyenv -- CMD ARGS...\n");
    return 2;
  }
  Args cmd(sep + 1, args.end());
  auto env = ensure_pyenv(pyenvs_root(slipway_home()), pyexec::environment_packages(cmd));
  if (!env.ok()) {
    std::fprintf(stderr, "slipway: %s\n", env.status().message().c_str());
    return 1;
  }
  std::string path =
      (*env / "bin").string() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  setenv("PATH", path.c_str(), 1);
  setenv("VIRTUAL_ENV", env->c_str(), 1);
  if (auto step = pyexec::parse_kfp_python_step(cmd)) {
    auto direct = executor_command(*step);
    if (!direct.ok()) {
      std::fprintf(stderr, "slipway: %s\n", direct.status().message().c_str());
      return 1;
    }
    cmd = std::move(*direct);
    if (step->kfp_runtime) setenv("_KFP_RUNTIME", "true", 1);
    // As the step's shell would have it (a warm executor's task sees the same).
    std::error_code ec;
    if (fs::path cwd = fs::current_path(ec); !ec) setenv("PWD", cwd.c_str(), 1);
  }
  CStringArray argv(cmd);
  execvp(argv.front(), argv.data());
  std::perror(("slipway __pyenv: " + cmd[0]).c_str());
  return 127;
}

}  // namespace slipway::cli
