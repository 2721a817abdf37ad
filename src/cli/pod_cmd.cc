// What slipway runs inside Kubernetes pods: `__tee` wraps a task's command so its output reaches
// both the pod's log and the run's log files; `__await` is the init container of a compiled Job
// (`slipway compile --backend k8s`), holding it until the tasks it needs have ended.
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/tee_exec.h"

namespace slipway::cli {

namespace fs = std::filesystem;

int cmd_tee(const Args& args) {
  const char* usage =
      "usage: slipway __tee [--mkdir DIR]... [--exit-file FILE] STDOUT_FILE STDERR_FILE -- "
      "COMMAND...\n";
  TeeOptions o;
  size_t i = 0;
  std::vector<std::string> files;
  for (; i < args.size() && args[i] != "--"; ++i) {
    if ((args[i] == "--mkdir" || args[i] == "--exit-file") && i + 1 < args.size()) {
      (args[i] == "--mkdir" ? o.mkdirs.push_back(args[i + 1]) : void(o.exit_path = args[i + 1]));
      ++i;
    } else {
      files.push_back(args[i]);
    }
  }
  if (files.size() != 2 || i + 1 >= args.size()) {
    std::fputs(usage, stderr);
    return 2;
  }
  o.out_path = files[0];
  o.err_path = files[1];
  return run_teed(std::vector<std::string>(args.begin() + static_cast<long>(i) + 1, args.end()), o);
}

int cmd_await(const Args& args) {
  bool any = false;
  std::vector<std::string> files;
  for (const auto& a : args) {
    if (a == "--any-outcome")
      any = true;
    else
      files.push_back(a);
  }
  if (files.empty()) {
    std::fputs("usage: slipway __await [--any-outcome] EXIT_FILE...\n", stderr);
    return 2;
  }
  std::fprintf(stderr, "slipway: waiting for %zu upstream attempt(s) to end\n", files.size());
  for (long tick = 0;; ++tick) {
    size_t done = 0;
    for (const auto& f : files) {
      std::ifstream in(f);
      int rc = 0;
      if (!(in >> rc)) continue;
      ++done;
      if (rc != 0 && !any) {
        std::fprintf(stderr,
                     "slipway: upstream %s ended with exit status %d; this task will not run\n",
                     fs::path(f).parent_path().c_str(), rc);
        return 1;
      }
    }
    if (done == files.size()) return 0;
    if (tick % 30 == 0)
      std::fprintf(stderr, "slipway: %zu of %zu upstream attempts ended\n", done, files.size());
    struct timespec ts {
      2, 0
    };
    nanosleep(&ts, nullptr);
  }
}

}  // namespace slipway::cli
