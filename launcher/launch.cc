#include "launcher/launch.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <regex>

#include "core/strings.h"
#include "core/subprocess.h"
#include "topo/binding.h"

namespace slipway::launcher {

// The address of a host, found the same way on every rank: the resolver, else Slurm's NodeAddr
// (node names in slurm.conf need not be resolvable).
Result<std::string> resolve_host(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) == 0 && res) {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
    freeaddrinfo(res);
    return std::string(buf);
  }
  auto r = run_command({"scontrol", "show", "node", host, "-o"}, 10'000);
  if (r.ok() && r->exit_code == 0) {
    static const std::regex kAddr(R"(NodeAddr=(\S+))");
    std::smatch m;
    if (std::regex_search(r->out, m, kAddr)) return m[1].str();
  }
  return InvalidInput("cannot resolve the first host '" + host +
                      "' of the job to an address; set MASTER_ADDR");
}

namespace {

Result<std::string> master_address(const RankInfo& info, const EnvMap& env) {
  if (!info.master_addr.empty()) return info.master_addr;
  if (!info.hosts.empty()) return resolve_host(info.hosts.front());
  if (info.nodes == 1) return std::string("127.0.0.1");
  // Open MPI does not tell a rank the host list; mpirun's own address is the usual rank-0 host.
  auto it = env.find("OMPI_MCA_orte_hnp_uri");
  if (it != env.end()) {
    static const std::regex kTcp(R"(tcp://([0-9.]+))");
    std::smatch m;
    if (std::regex_search(it->second, m, kTcp)) return m[1].str();
  }
  return InvalidInput("this " + info.source + " job spans " + std::to_string(info.nodes) +
                      " nodes and does not say where rank 0 is; set MASTER_ADDR");
}

// GPU ids the allocation made visible (Slurm and the local backend set CUDA_VISIBLE_DEVICES).
std::optional<std::vector<std::string>> visible_gpus(const EnvMap& env) {
  for (const char* key : {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"}) {
    auto it = env.find(key);
    if (it != env.end()) {
      std::vector<std::string> ids;
      for (const auto& s : split(it->second, ','))
        if (!s.empty()) ids.push_back(s);
      return ids;
    }
  }
  return std::nullopt;
}

// Indexes, as opposed to GPU UUIDs ("GPU-8f3a...", which some schedulers export): only indexes
// can be matched to the topology's GPUs. Short enough for stoul never to throw.
bool all_numbers(const std::vector<std::string>& ids) {
  return std::all_of(ids.begin(), ids.end(), [](const std::string& s) {
    return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
  });
}

}  // namespace

Result<std::vector<RankSetup>> plan_launch(const LaunchOptions& opts, const EnvMap& env) {
  RankInfo info;
  auto found =
      opts.pods_on_node > 0 ? Result<std::optional<RankInfo>>(std::nullopt) : discover_rank(env);
  if (!found.ok()) return found.status();
  if (opts.pods_on_node > 0) {
    info.source = "pod";
    info.rank = info.local_rank = opts.pod_index;
    info.world_size = info.local_world_size = opts.pods_on_node;
    info.job_id = local_job_id(env);
  } else if (*found) {
    info = **found;
    // A PyTorchJob pod runs its node's ranks itself, like torchrun: --nproc is ranks per node.
    if (info.spawn_local && opts.nproc > 0) {
      info.local_world_size = opts.nproc;
      info.world_size = info.nodes * opts.nproc;
    }
  } else {
    info.source = "local";
    info.local_world_size = info.world_size = std::max(1, opts.nproc);
    info.spawn_local = true;
    info.job_id = local_job_id(env);
  }
  auto addr = master_address(info, env);
  if (!addr.ok()) return addr.status();
  // MASTER_PORT when the launcher set one (a PyTorchJob does), else derived from the job id.
  int port = info.master_port > 0 ? info.master_port
                                  : rendezvous_port(info.job_id, opts.port_lo, opts.port_hi);

  auto topo = topo::load_topology(opts.xml);
  if (!topo.ok()) return topo.status();
  // Plan over the GPUs this allocation may use, keeping their ids as the allocation named them.
  std::vector<std::string> gpu_ids;
  auto visible = visible_gpus(env);
  if (visible && all_numbers(*visible)) {
    std::vector<topo::TopoAccelerator> kept;
    for (const auto& id : *visible) {
      size_t i = std::stoul(id);
      if (i < topo->accelerators.size()) kept.push_back(topo->accelerators[i]);
    }
    // Renumbered from 0 as the ranks will see them (CUDA numbers visible devices from 0), while
    // gpu_ids keeps the allocation's own ids for CUDA_VISIBLE_DEVICES.
    if (kept.size() == visible->size()) {
      topo->accelerators = kept;
      for (size_t i = 0; i < kept.size(); ++i) topo->accelerators[i].index = static_cast<int>(i);
      gpu_ids = *visible;
    }
  }
  int ngpus = static_cast<int>(topo->accelerators.size());
  if (gpu_ids.empty())
    for (const auto& a : topo->accelerators) gpu_ids.push_back(std::to_string(a.index));
  topo::PlanRequest req;
  req.ranks = info.local_world_size;
  req.cores_per_rank = opts.cores_per_rank;
  req.policy = opts.policy;
  req.gpus_per_rank = opts.gpus_per_rank >= 0 ? opts.gpus_per_rank : ngpus / info.local_world_size;
  // Fewer cores than ranks (oversubscribed test clusters, small VMs): ranks share cores unbound.
  bool share_cores = req.cores_per_rank == 0 && static_cast<int>(topo->cores.size()) < req.ranks;
  std::optional<topo::Plan> plan;
  if (!share_cores) {
    auto p = topo::plan_placement(*topo, req);
    if (!p.ok())
      return InvalidInput("placement of " + std::to_string(req.ranks) +
                          " ranks on this node: " + p.status().message());
    plan = *p;
  }
  // Without GPUs in the topology (no hwloc GPU plugin) but with visible ids, share them out in
  // order.
  std::vector<std::string> fallback_ids =
      ngpus == 0 && visible ? *visible : std::vector<std::string>{};

  std::vector<RankSetup> out;
  std::vector<int> locals;
  if (info.spawn_local)
    for (int i = 0; i < info.local_world_size; ++i) locals.push_back(i);
  else
    locals.push_back(info.local_rank);
  std::vector<int> affinity = topo::current_affinity(), allowed = topo::allowed_cpus();
  for (int local : locals) {
    RankSetup s;
    s.info = info;
    s.local_rank = local;
    s.rank = info.spawn_local ? info.node_rank * info.local_world_size + local : info.rank;
    // torchrun's variables, which PyTorch's env:// rendezvous, DeepSpeed and most trainers read;
    // the same names whatever started the rank.
    s.env = {{"RANK", std::to_string(s.rank)},
             {"WORLD_SIZE", std::to_string(info.world_size)},
             {"LOCAL_RANK", std::to_string(local)},
             {"LOCAL_WORLD_SIZE", std::to_string(info.local_world_size)},
             {"GROUP_RANK", std::to_string(info.node_rank)},
             {"NODE_RANK", std::to_string(info.node_rank)},
             {"MASTER_ADDR", *addr},
             {"MASTER_PORT", std::to_string(port)}};
    // A pod's rendezvous is its operator's (MASTER_ADDR, TF_CONFIG...), already in its
    // environment: nothing of torchrun's is added.
    if (opts.pods_on_node > 0) s.env.clear();
    if (plan) {
      for (auto& [k, v] : topo::plan_env(*topo, *plan, local)) {
        if (env.count(k) && (starts_with(k, "NCCL_") || starts_with(k, "OMP_")))
          continue;  // the user's choice wins
        s.env[k] = v;
      }
      const topo::RankPlacement& rp = plan->ranks[static_cast<size_t>(local)];
      if (!rp.gpus.empty()) {
        std::vector<std::string> ids;
        for (int g : rp.gpus) ids.push_back(gpu_ids[static_cast<size_t>(g)]);
        s.env[topo->accelerators[static_cast<size_t>(rp.gpus.front())].vendor == "amd"
                  ? "ROCR_VISIBLE_DEVICES"
                  : "CUDA_VISIBLE_DEVICES"] = join(ids, ",");
      }
      s.cpus = rp.cpus;
    } else {
      s.binding_note = "more ranks than cores: ranks share the node's cores unbound";
    }
    if (!fallback_ids.empty()) {
      int per = std::max<int>(1, static_cast<int>(fallback_ids.size()) / info.local_world_size);
      std::vector<std::string> mine;
      for (int i = 0; i < per; ++i) {
        size_t k = static_cast<size_t>(local * per + i);
        if (k < fallback_ids.size()) mine.push_back(fallback_ids[k]);
      }
      s.env["CUDA_VISIBLE_DEVICES"] = join(mine, ",");
    }
    if (!opts.bind) {
      s.cpus.clear();
      s.binding_note = "binding off (--no-bind)";
    } else if (!opts.xml.empty()) {
      s.cpus.clear();
      s.binding_note = "planned on " + opts.xml + ", not this machine: not bound";
    } else if (!s.cpus.empty() && affinity != allowed && !info.spawn_local) {
      // The launcher that started this rank bound it already (srun --cpu-bind, mpirun --bind-to).
      s.cpus.clear();
      s.binding_note = "already bound by " + info.source + " to CPUs " + topo::cpu_list(affinity) +
                       ": left as it is";
    }
    out.push_back(std::move(s));
  }
  return out;
}

Status exec_rank(const RankSetup& s, const std::vector<std::string>& cmd, bool verbose) {
  if (cmd.empty())
    return InvalidInput("no command to run: slipway launch [options] -- CMD ARGS...");
  // Bound before exec: the affinity is inherited by the program and every thread it starts, so
  // OpenMP and BLAS pools stay on the rank's cores without knowing about them.
  if (!s.cpus.empty()) {
    Status b = topo::bind_this_process(s.cpus);
    if (!b.ok()) return Failed("rank " + std::to_string(s.rank) + ": " + b.message());
  }
  for (const auto& [k, v] : s.env) setenv(k.c_str(), v.c_str(), 1);
  if (verbose) {
    auto get = [&](const char* k) {
      auto it = s.env.find(k);
      return it == s.env.end() ? std::string("-") : it->second;
    };
    std::fprintf(stderr,
                 "slipway launch: rank %d/%d (node %d, local %d/%d, %s) cpus %s gpus %s nic %s "
                 "master %s:%s%s%s\n",
                 s.rank, s.info.world_size, s.info.node_rank, s.local_rank, s.info.local_world_size,
                 s.info.source.c_str(),
                 s.cpus.empty() ? topo::cpu_list(topo::current_affinity()).c_str()
                                : topo::cpu_list(s.cpus).c_str(),
                 get("CUDA_VISIBLE_DEVICES").c_str(),
                 get(s.env.count("NCCL_IB_HCA") ? "NCCL_IB_HCA" : "NCCL_SOCKET_IFNAME").c_str(),
                 get("MASTER_ADDR").c_str(), get("MASTER_PORT").c_str(),
                 s.binding_note.empty() ? "" : "; ", s.binding_note.c_str());
  }
  std::vector<char*> argv;
  for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  return Failed("cannot run '" + cmd.front() + "': " + std::strerror(errno));
}

// An id all ranks of one launch share and another launch does not: the run's task attempt when
// slipway started it, else this launch's own pids.
std::string local_job_id(const EnvMap& env) {
  auto get = [&](const char* k) {
    auto it = env.find(k);
    return it == env.end() ? std::string() : it->second;
  };
  if (!get("SLIPWAY_LAUNCH_JOB_ID").empty()) return get("SLIPWAY_LAUNCH_JOB_ID");
  if (!get("SLIPWAY_RUN_ID").empty())
    return get("SLIPWAY_RUN_ID") + "/" + get("SLIPWAY_TASK") + "#" + get("SLIPWAY_ATTEMPT");
  return "pid" + std::to_string(getppid()) + "." + std::to_string(getpid());
}

Status exec_under_mpirun(int nproc, const std::string& self,
                         const std::vector<std::string>& launch_args,
                         const std::vector<std::string>& cmd, const EnvMap& env) {
  setenv("SLIPWAY_LAUNCH_JOB_ID", local_job_id(env).c_str(), 1);
  // mpirun neither binds (the launcher does) nor refuses more ranks than cores.
  std::vector<std::string> argv = {"mpirun",          "-n",        std::to_string(nproc),
                                   "--oversubscribe", "--bind-to", "none"};
  if (geteuid() == 0) argv.push_back("--allow-run-as-root");
  argv.push_back(self);
  argv.push_back("launch");
  argv.insert(argv.end(), launch_args.begin(), launch_args.end());
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  std::vector<char*> raw;
  for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
  raw.push_back(nullptr);
  execvp("mpirun", raw.data());
  return Failed(std::string("cannot run mpirun: ") + std::strerror(errno));
}

namespace {
volatile sig_atomic_t g_stop_signal = 0;
void on_stop(int sig) { g_stop_signal = sig; }
}  // namespace

int run_local_ranks(const std::vector<RankSetup>& setups, const std::vector<std::string>& cmd,
                    bool verbose) {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::vector<pid_t> pids;
  for (const auto& s : setups) {
    pid_t pid = fork();
    if (pid == 0) {
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      Status st = exec_rank(s, cmd, verbose);
      std::fprintf(stderr, "slipway launch: %s\n", st.message().c_str());
      _exit(127);
    }
    if (pid < 0) {
      std::perror("slipway launch: fork");
      for (pid_t p : pids) kill(p, SIGTERM);
      return 1;
    }
    pids.push_back(pid);
  }
  int first_failure = 0, alive = static_cast<int>(pids.size());
  bool stopping = false;
  while (alive > 0) {
    int status = 0;
    pid_t done = waitpid(-1, &status, 0);
    if (done < 0) {
      if (errno == EINTR) {
        if (g_stop_signal && !stopping) {
          stopping = true;
          for (pid_t p : pids) kill(p, SIGTERM);
        }
        continue;
      }
      break;
    }
    if (std::find(pids.begin(), pids.end(), done) == pids.end()) continue;
    --alive;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0 && first_failure == 0) {
      first_failure = code;
      // One rank failed: the others would wait forever in a collective, so stop them.
      if (!stopping) {
        size_t idx = static_cast<size_t>(std::find(pids.begin(), pids.end(), done) - pids.begin());
        std::fprintf(stderr, "slipway launch: rank %d exited with %d; stopping the other ranks\n",
                     setups[idx].rank, code);
        stopping = true;
        for (pid_t p : pids)
          if (p != done) kill(p, SIGTERM);
      }
    }
  }
  return g_stop_signal && first_failure == 0 ? 128 + g_stop_signal : first_failure;
}

}  // namespace slipway::launcher
