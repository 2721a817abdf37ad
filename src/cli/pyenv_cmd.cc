// `slipway __pyenv -- CMD ARGS...`: runs a KFP Python component (python3 -m
// kfp.dsl.executor_main) inside a virtual environment that has kfp and the component's
// packages_to_install (core/pyenv.h: one per package set, made once and reused).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "cli/commands.h"
#include "core/files.h"
#include "core/pyenv.h"
#include "core/strings.h"

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
  auto env = ensure_pyenv(pyenvs_root(slipway_home()), specs);
  if (!env.ok()) {
    std::fprintf(stderr, "slipway: %s\n", env.status().message().c_str());
    return 1;
  }
  std::string path =
      (*env / "bin").string() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  setenv("PATH", path.c_str(), 1);
  setenv("VIRTUAL_ENV", env->c_str(), 1);
  std::vector<char*> argv;
  for (auto& a : cmd) argv.push_back(a.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::perror(("slipway __pyenv: " + cmd[0]).c_str());
  return 127;
}

}  // namespace slipway::cli
