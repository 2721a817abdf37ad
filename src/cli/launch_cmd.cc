// `slipway launch [options] -- CMD ARGS...`: start one rank (or a node's ranks) of a
// multi-rank task; see launcher/launch.h.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "cli/common.h"
#include "core/files.h"
#include "core/strings.h"
#include "launcher/launch.h"

namespace slipway::cli {

int cmd_launch(const Args& all) {
  auto sep = std::find(all.begin(), all.end(), "--");
  Args args(all.begin(), sep);
  Args cmd(sep == all.end() ? all.end() : sep + 1, all.end());
  po::options_description opts("launch options");
  opts.add_options()(
      "nproc", po::value<int>()->default_value(0),
      "ranks to start on this node when no launcher (srun, mpirun) started this one")(
      "gpus-per-rank", po::value<int>()->default_value(-1),
      "GPUs per rank (default: the visible GPUs shared out)")(
      "cores-per-rank", po::value<int>()->default_value(0),
      "cores per rank (default: the node's cores shared out)")(
      "policy", po::value<std::string>()->default_value(""), "gpu-affine, pack or spread")(
      "no-bind", po::bool_switch(), "do not bind ranks to CPUs")(
      "port-range", po::value<std::string>()->default_value(""),
      "LO-HI for MASTER_PORT (default $SLIPWAY_PORT_RANGE or 29500-39499)")(
      "xml", po::value<std::string>()->default_value(""),
      "plan on this hwloc XML topology instead of this machine (implies no binding)")(
      "spawner", po::value<std::string>()->default_value("auto"),
      "how --nproc ranks start: mpirun, fork, or auto (mpirun where installed)")(
      "pod", po::value<std::string>()->default_value(""),
      "I/N: run as the I-th of N training-job replicas on this node, keeping the variables its "
      "operator gave it")("dry-run", po::bool_switch(),
                          "print each rank's setup as JSON instead of running")(
      "verbose,v", po::bool_switch(), "print each rank's placement and rendezvous on stderr");
  po::positional_options_description pos;
  po::variables_map vm;
  int rc = 0;
  const char* usage =
      "slipway launch [--nproc N] [--gpus-per-rank G] [--cores-per-rank C] [--policy P] "
      "[--no-bind] [-v] -- CMD ARGS...";
  if (!parse_args(args, usage, opts, pos, &vm, &rc)) return rc;
  if (cmd.empty() && !vm["dry-run"].as<bool>()) {
    std::fprintf(stderr, "slipway launch: no command; usage: %s\n", usage);
    return 2;
  }
  launcher::LaunchOptions o;
  o.nproc = vm["nproc"].as<int>();
  o.gpus_per_rank = vm["gpus-per-rank"].as<int>();
  o.cores_per_rank = vm["cores-per-rank"].as<int>();
  o.bind = !vm["no-bind"].as<bool>();
  o.verbose = vm["verbose"].as<bool>() || std::getenv("SLIPWAY_LAUNCH_VERBOSE");
  o.xml = vm["xml"].as<std::string>();
  if (o.nproc < 0 || o.cores_per_rank < 0) {
    std::fprintf(stderr, "slipway launch: --nproc and --cores-per-rank cannot be negative\n");
    return 2;
  }
  if (std::string p = vm["policy"].as<std::string>(); !p.empty()) {
    auto pol = topo::parse_policy(p);
    if (!pol.ok()) {
      std::fprintf(stderr, "slipway launch: %s\n", pol.status().message().c_str());
      return 2;
    }
    o.policy = *pol;
  }
  if (std::string pod = vm["pod"].as<std::string>(); !pod.empty()) {
    char tail = 0;
    if (std::sscanf(pod.c_str(), "%d/%d%c", &o.pod_index, &o.pods_on_node, &tail) != 2 ||
        o.pods_on_node < 1 || o.pod_index < 0 || o.pod_index >= o.pods_on_node) {
      std::fprintf(stderr, "slipway launch: --pod takes I/N with 0 <= I < N, not '%s'\n",
                   pod.c_str());
      return 2;
    }
  }
  std::string range = vm["port-range"].as<std::string>();
  if (range.empty() && std::getenv("SLIPWAY_PORT_RANGE")) range = std::getenv("SLIPWAY_PORT_RANGE");
  if (!range.empty()) {
    auto r = launcher::parse_port_range(range);
    if (!r.ok()) {
      std::fprintf(stderr, "slipway launch: %s\n", r.status().message().c_str());
      return 2;
    }
    std::tie(o.port_lo, o.port_hi) = *r;
  }
  std::string spawner = vm["spawner"].as<std::string>();
  if (spawner != "auto" && spawner != "fork" && spawner != "mpirun") {
    std::fprintf(stderr, "slipway launch: --spawner must be auto, fork or mpirun, not '%s'\n",
                 spawner.c_str());
    return 2;
  }
  launcher::EnvMap env = launcher::current_environment();
  // A pod's variables are its operator's, for its program, not a launcher's to read.
  auto started = o.pods_on_node > 0 ? Result<std::optional<launcher::RankInfo>>(std::nullopt)
                                    : launcher::discover_rank(env);
  if (!started.ok()) {
    std::fprintf(stderr, "slipway launch: %s\n", started.status().message().c_str());
    return 2;
  }
  if (!*started && o.pods_on_node == 0 && o.nproc > 1 && !vm["dry-run"].as<bool>() &&
      o.xml.empty() && (spawner == "mpirun" || (spawner == "auto" && on_path("mpirun")))) {
    // Local ranks through mpirun: MPI programs get their world; each rank comes back here.
    Args forward = {"--gpus-per-rank", std::to_string(o.gpus_per_rank), "--cores-per-rank",
                    std::to_string(o.cores_per_rank)};
    if (o.policy) forward.insert(forward.end(), {"--policy", to_string(*o.policy)});
    if (!o.bind) forward.push_back("--no-bind");
    if (!range.empty()) forward.insert(forward.end(), {"--port-range", range});
    if (o.verbose) forward.push_back("-v");
    Status st = launcher::exec_under_mpirun(o.nproc, self_executable().string(), forward, cmd, env);
    std::fprintf(stderr, "slipway launch: %s\n", st.message().c_str());
    return 2;
  }
  auto setups = launcher::plan_launch(o, env);
  if (!setups.ok()) {
    std::fprintf(stderr, "slipway launch: %s\n", setups.status().message().c_str());
    return 2;
  }
  if (vm["dry-run"].as<bool>()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : *setups)
      arr.push_back({{"rank", s.rank},
                     {"local_rank", s.local_rank},
                     {"world_size", s.info.world_size},
                     {"node_rank", s.info.node_rank},
                     {"source", s.info.source},
                     {"cpus", s.cpus},
                     {"binding_note", s.binding_note},
                     {"env", s.env}});
    print_json(arr);
    return 0;
  }
  if (setups->front().info.spawn_local) return launcher::run_local_ranks(*setups, cmd, o.verbose);
  Status st = launcher::exec_rank(setups->front(), cmd, o.verbose);
  std::fprintf(stderr, "slipway launch: %s\n", st.message().c_str());
  return 127;
}

}  // namespace slipway::cli
