#include "launcher/rank_env.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <regex>

#include "core/strings.h"

extern char** environ;

namespace slipway::launcher {

EnvMap current_environment() {
  EnvMap env;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
  }
  return env;
}

namespace {

// Set-but-empty counts as unset: launchers export empty variables for what they do not know.
std::optional<std::string> get(const EnvMap& env, const char* key) {
  auto it = env.find(key);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<int> get_int(const EnvMap& env, const char* key) {
  auto v = get(env, key);
  if (!v) return InvalidInput(std::string(key) + " is not set");
  char* end = nullptr;
  long n = std::strtol(v->c_str(), &end, 10);
  if (*end != '\0' || n < 0 || n > 10'000'000)
    return InvalidInput(std::string(key) + "='" + *v + "' is not a count");  // names the variable
  return static_cast<int>(n);
}

// Whatever the source, the numbers must be consistent before a rank acts on them: a wrong world
// size makes every collective hang, far from the variable that caused it.
Status check(const RankInfo& r) {
  if (r.world_size < 1 || r.local_world_size < 1 || r.nodes < 1)
    return InvalidInput("world, node and local sizes must be at least 1");
  if (r.rank >= r.world_size)
    return InvalidInput("rank " + std::to_string(r.rank) + " is not below the world size " +
                        std::to_string(r.world_size));
  if (r.local_rank >= r.local_world_size)
    return InvalidInput("local rank " + std::to_string(r.local_rank) +
                        " is not below the local size " + std::to_string(r.local_world_size));
  if (r.node_rank >= r.nodes)
    return InvalidInput("node rank " + std::to_string(r.node_rank) +
                        " is not below the node count " + std::to_string(r.nodes));
  return Status::Ok();
}

Result<RankInfo> from_slurm(const EnvMap& env) {
  RankInfo r;
  r.source = "slurm";
  auto rank = get_int(env, "SLURM_PROCID");
  // The step's counts, not the job's: an sbatch job of 8 tasks may run a step of 4.
  auto size = get(env, "SLURM_STEP_NUM_TASKS") ? get_int(env, "SLURM_STEP_NUM_TASKS")
                                               : get_int(env, "SLURM_NTASKS");
  auto local = get_int(env, "SLURM_LOCALID");
  auto node = get_int(env, "SLURM_NODEID");
  for (const auto* s : {&rank, &size, &local, &node})
    if (!s->ok()) return InvalidInput("inside a Slurm step, but " + s->status().message());
  r.rank = *rank;
  r.world_size = *size;
  r.local_rank = *local;
  r.node_rank = *node;
  std::string list =
      get(env, "SLURM_STEP_NODELIST").value_or(get(env, "SLURM_JOB_NODELIST").value_or(""));
  if (!list.empty()) {
    auto hosts = expand_hostlist(list);
    if (!hosts.ok()) return InvalidInput("SLURM_STEP_NODELIST: " + hosts.status().message());
    r.hosts = *hosts;
  }
  r.nodes = r.hosts.empty() ? get_int(env, "SLURM_STEP_NUM_NODES").value_or(1)
                            : static_cast<int>(r.hosts.size());
  // "2(x3),1": nodes need not hold the same number of tasks, so this node's own count is read.
  std::string tpn =
      get(env, "SLURM_STEP_TASKS_PER_NODE").value_or(get(env, "SLURM_TASKS_PER_NODE").value_or(""));
  if (!tpn.empty()) {
    auto counts = expand_tasks_per_node(tpn);
    if (!counts.ok())
      return InvalidInput("SLURM_STEP_TASKS_PER_NODE: " + counts.status().message());
    if (static_cast<size_t>(r.node_rank) < counts->size())
      r.local_world_size = (*counts)[static_cast<size_t>(r.node_rank)];
  } else {
    r.local_world_size = std::max(1, r.world_size / std::max(1, r.nodes));
  }
  // job.step: every rank of the step derives the same id, and so the same rendezvous port.
  r.job_id = get(env, "SLURM_JOB_ID").value_or("0") + "." + get(env, "SLURM_STEP_ID").value_or("0");
  return r;
}

Result<RankInfo> from_openmpi(const EnvMap& env) {
  RankInfo r;
  r.source = "openmpi";
  auto rank = get_int(env, "OMPI_COMM_WORLD_RANK");
  auto size = get_int(env, "OMPI_COMM_WORLD_SIZE");
  auto local = get_int(env, "OMPI_COMM_WORLD_LOCAL_RANK");
  auto lsize = get_int(env, "OMPI_COMM_WORLD_LOCAL_SIZE");
  for (const auto* s : {&rank, &size, &local, &lsize})
    if (!s->ok()) return InvalidInput("started by Open MPI, but " + s->status().message());
  r.rank = *rank;
  r.world_size = *size;
  r.local_rank = *local;
  r.local_world_size = *lsize;
  // mpirun maps ranks node by node by default (--map-by slot): node = rank / ranks per node.
  r.node_rank = r.rank / r.local_world_size;
  r.nodes = (r.world_size + r.local_world_size - 1) / r.local_world_size;
  r.job_id = get(env, "OMPI_MCA_ess_base_jobid")
                 .value_or(get(env, "PMIX_NAMESPACE")
                               .value_or(get(env, "OMPI_MCA_orte_ess_jobid").value_or("ompi")));
  return r;
}

}  // namespace

Result<std::optional<RankInfo>> discover_rank(const EnvMap& env) {
  std::optional<RankInfo> r;
  // Which launcher started this process, by the variables each one sets per process: an srun
  // step's task, an Open MPI rank, a PyTorchJob pod (torchrun's PET_* or the plain RANK form).
  if (get(env, "SLURM_STEP_ID") && get(env, "SLURM_PROCID")) {
    auto s = from_slurm(env);
    if (!s.ok()) return s.status();
    r = *s;
  } else if (get(env, "OMPI_COMM_WORLD_RANK")) {
    auto s = from_openmpi(env);
    if (!s.ok()) return s.status();
    r = *s;
  } else if (get(env, "PET_NNODES") && get(env, "PET_NODE_RANK")) {
    // A PyTorchJob pod that runs the node's ranks itself (torchrun's variables).
    RankInfo p;
    p.source = "pytorchjob";
    auto nodes = get_int(env, "PET_NNODES");
    auto node = get_int(env, "PET_NODE_RANK");
    if (!nodes.ok() || !node.ok())
      return InvalidInput("a PyTorchJob pod, but " +
                          (nodes.ok() ? node.status() : nodes.status()).message());
    p.nodes = *nodes;
    p.node_rank = *node;
    p.local_world_size = get_int(env, "PET_NPROC_PER_NODE").value_or(1);
    p.world_size = p.nodes * p.local_world_size;
    p.spawn_local = true;
    p.job_id = get(env, "PET_RDZV_ID").value_or(get(env, "HOSTNAME").value_or("pytorchjob"));
    r = p;
  } else if (get(env, "RANK") && get(env, "WORLD_SIZE") && get(env, "MASTER_ADDR")) {
    // A PyTorchJob pod with one process: the operator's RANK is this pod's.
    RankInfo p;
    p.source = "pytorchjob";
    auto rank = get_int(env, "RANK");
    auto size = get_int(env, "WORLD_SIZE");
    if (!rank.ok() || !size.ok())
      return InvalidInput("a PyTorchJob pod, but " +
                          (rank.ok() ? size.status() : rank.status()).message());
    p.rank = *rank;
    p.world_size = *size;
    p.node_rank = p.rank;
    p.nodes = p.world_size;
    p.job_id = "pytorchjob";
    r = p;
  }
  if (!r) return std::optional<RankInfo>();
  // Ranks that slipway launch started through mpirun share the id of the launch that did it.
  if (auto j = get(env, "SLIPWAY_LAUNCH_JOB_ID")) r->job_id = *j;
  if (auto a = get(env, "MASTER_ADDR")) r->master_addr = *a;
  if (auto p = get(env, "MASTER_PORT")) r->master_port = std::atoi(p->c_str());
  SLIPWAY_RETURN_IF_ERROR(check(*r));
  return r;
}

Result<std::vector<std::string>> expand_hostlist(const std::string& list) {
  std::vector<std::string> out;
  // Split on commas outside brackets.
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : list) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0) return InvalidInput("unbalanced ']' in host list '" + list + "'");
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (depth != 0) return InvalidInput("unbalanced '[' in host list '" + list + "'");
  parts.push_back(cur);
  for (const auto& p : parts) {
    if (p.empty()) continue;
    size_t open = p.find('[');
    if (open == std::string::npos) {
      out.push_back(p);
      continue;
    }
    size_t close = p.find(']', open);
    std::string prefix = p.substr(0, open), suffix = p.substr(close + 1);
    if (suffix.find('[') != std::string::npos)
      return InvalidInput("host list '" + list + "': one bracket range per name is supported");
    for (const auto& range : split(p.substr(open + 1, close - open - 1), ',')) {
      size_t dash = range.find('-');
      std::string a = range.substr(0, dash),
                  b = dash == std::string::npos ? a : range.substr(dash + 1);
      if (a.empty() || b.empty() || a.size() > 9 || b.size() > 9 ||
          a.find_first_not_of("0123456789") != std::string::npos ||
          b.find_first_not_of("0123456789") != std::string::npos)
        return InvalidInput("host list '" + list + "': '" + range + "' is not a number or a range");
      long lo = std::stol(a), hi = std::stol(b);
      if (hi < lo || hi - lo > 100'000)
        return InvalidInput("host list '" + list + "': bad range '" + range + "'");
      for (long i = lo; i <= hi; ++i) {
        std::string n = std::to_string(i);
        if (n.size() < a.size())
          n = std::string(a.size() - n.size(), '0') + n;  // keep zero padding
        out.push_back(prefix + n + suffix);
      }
    }
  }
  return out;
}

Result<std::vector<int>> expand_tasks_per_node(const std::string& spec) {
  std::vector<int> out;
  static const std::regex kItem(R"(^(\d+)(\(x(\d+)\))?$)");
  for (const auto& item : split(spec, ',')) {
    std::smatch m;
    if (!std::regex_match(item, m, kItem))
      return InvalidInput("'" + item + "' in '" + spec + "' is not N or N(xM)");
    // Nine digits at most, so stoi cannot overflow (and throw) on a mangled variable.
    if (m[1].length() > 9 || (m[3].matched && m[3].length() > 9))
      return InvalidInput("'" + item + "' in '" + spec + "' is too large");
    int n = std::stoi(m[1]);
    int times = m[3].matched ? std::stoi(m[3]) : 1;
    if (times > 100'000) return InvalidInput("'" + item + "' repeats too often");
    out.insert(out.end(), static_cast<size_t>(times), n);
  }
  return out;
}

// Every rank of a job computes the same port from the job id with no communication, and two jobs
// on one node most likely get different ones (a fixed 29500 would collide).
int rendezvous_port(const std::string& job_id, int lo, int hi) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : job_id) h = (h ^ c) * 1099511628211ull;
  return lo + static_cast<int>(h % static_cast<std::uint64_t>(hi - lo + 1));
}

Result<std::pair<int, int>> parse_port_range(const std::string& text) {
  int lo = 0, hi = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d-%d%c", &lo, &hi, &tail) != 2 || lo < 1024 || hi > 65535 ||
      hi < lo)
    return InvalidInput("port range '" + text + "' must be LO-HI within 1024-65535");
  return std::make_pair(lo, hi);
}

}  // namespace slipway::launcher
