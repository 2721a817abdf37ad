// slipway: pipelines, training, tuning and serving for bare metal and HPC clusters.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "store/stored_json.h"

namespace {

const char* kUsage = R"(usage: slipway COMMAND [ARGS]

Pipelines
  run FILE [-p NAME=VALUE]... [--backend local|slurm|k8s] [--no-cache] [--detach] [--output text|json]
  validate FILE [--output text|json|dot]
  compile FILE --backend slurm -o DIR [-p NAME=VALUE]...   (sbatch scripts + submit.sh)
  runs ls|show RUN|logs RUN TASK|cancel RUN|resume RUN|retry RUN [--output text|json]
  artifacts ls|show ID [--output text|json]
  lineage ARTIFACT [--output text|json]

Training
  data import table|text FILE -o OUT.h5 [--label COL]   CSV or text into HDF5
  train CONFIG.yaml [--resume] [--steps N] ...           data-parallel training (one process per rank)
  bench scaling CONFIG.yaml --ranks 1,2,4 [--mode strong|weak] [--backend local|slurm]
                                                         speedup, efficiency and a ring all-reduce model

Tuning
  sweep FILE [--backend local|slurm|k8s] [--detach] [--output text|json]   Katib Experiment or native sweep
  sweep ls|show SWEEP [--plot DIR]|resume SWEEP|cancel SWEEP|validate FILE|DIR [--output text|json]

Serving
  serve [--model-repo DIR] [--port P] [--config FILE]   KServe v1 + Open Inference Protocol v2 daemon
  models ls|show NAME|promote NAME VERSION [--stage S]|rollback NAME   the model registry

Server
  server [--port P] [--host ADDR] [--no-auth]    REST API (/api/v1), dashboard (/), recurring runs
  server token create --namespace NS [--admin] | token ls | token revoke ID
  schedules create FILE (--cron EXPR | --every DURATION) [--max-concurrency N] [--catch-up] [-p NAME=VALUE]...
  schedules ls|show|enable|disable|delete ID      recurring runs (fired by the server)

Placement
  topo [--xml FILE] [--output text|json|svg]      the machine as hwloc sees it
  topo --plan --ranks N [--gpus-per-rank G] ...   where each rank's cores, GPUs and NIC go
  launch [--nproc N] [--gpus-per-rank G] ... -- CMD ARGS...   one rank: bind, set rendezvous env, exec

Built-in steps (used by configs/pipelines/iris.yaml)
  ml load-csv|validate|train|evaluate|register ...

Environment
  SLIPWAY_HOME   the store and artifact root (default ~/.slipway)
  SLIPWAY_SERVER, SLIPWAY_TOKEN   as --server URL --token T: `run` and `runs` go to a slipway server

Run `slipway COMMAND --help` for a command's options.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // --server URL and --token T (or SLIPWAY_SERVER, SLIPWAY_TOKEN) send `run` and `runs` to a
  // server.
  std::string server = std::getenv("SLIPWAY_SERVER") ? std::getenv("SLIPWAY_SERVER") : "";
  std::string token = std::getenv("SLIPWAY_TOKEN") ? std::getenv("SLIPWAY_TOKEN") : "";
  for (size_t i = 0; i + 1 < args.size();) {
    if (args[i] == "--server" || args[i] == "--token") {
      (args[i] == "--server" ? server : token) = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
    } else {
      ++i;
    }
  }
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::puts("slipway 0.1.0");
    return 0;
  }
  std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    using namespace slipway::cli;
    if (!server.empty() && cmd != "server" && cmd != "schedules" && cmd.rfind("__", 0) != 0)
      return cmd_remote(server, token, cmd, rest);
    if (cmd == "run") return cmd_run(rest);
    if (cmd == "validate") return cmd_validate(rest);
    if (cmd == "compile") return cmd_compile(rest);
    if (cmd == "runs") return cmd_runs(rest);
    if (cmd == "artifacts") return cmd_artifacts(rest);
    if (cmd == "lineage") return cmd_lineage(rest);
    if (cmd == "ml") return cmd_ml(rest);
    if (cmd == "topo") return cmd_topo(rest);
    if (cmd == "data") return cmd_data(rest);
    if (cmd == "train") return cmd_train(rest);
    if (cmd == "bench") return cmd_bench(rest);
    if (cmd == "sweep") return cmd_sweep(rest);
    if (cmd == "launch") return cmd_launch(rest);
    if (cmd == "job-gang") return cmd_job_gang(rest);
    if (cmd == "serve") return cmd_serve(rest);
    if (cmd == "models") return cmd_models(rest);
    if (cmd == "server") return cmd_server(rest);
    if (cmd == "schedules") return cmd_schedules(rest);
    if (cmd == "__driver") return cmd_driver(rest);
    if (cmd == "__pyenv") return cmd_pyenv(rest);
    if (cmd == "__tee") return cmd_tee(rest);
    if (cmd == "__await") return cmd_await(rest);
    if (cmd == "__import-artifact") return cmd_import_artifact(rest);
    if (cmd == "__kfp-volume") return cmd_kfp_volume(rest);
  } catch (const slipway::store::StoreCorruption& e) {  // not the input's fault: exit 1, not 2
    std::fprintf(stderr, "slipway %s: %s\n", cmd.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "slipway %s: %s\n", cmd.c_str(), e.what());
    return 2;
  }
  std::fprintf(stderr, "slipway: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}
