#include "topo/placement.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "core/strings.h"

namespace slipway::topo {

Result<PlacementPolicy> parse_policy(const std::string& s) {
  if (s == "gpu-affine") return PlacementPolicy::kGpuAffine;
  if (s == "pack") return PlacementPolicy::kPack;
  if (s == "spread") return PlacementPolicy::kSpread;
  return InvalidInput("unknown placement policy '" + s + "'" +
                      did_you_mean(s, {"gpu-affine", "pack", "spread"}) +
                      "; use gpu-affine, pack or spread");
}

const char* to_string(PlacementPolicy p) {
  switch (p) {
    case PlacementPolicy::kGpuAffine:
      return "gpu-affine";
    case PlacementPolicy::kPack:
      return "pack";
    case PlacementPolicy::kSpread:
      return "spread";
  }
  return "?";
}

namespace {

class Planner {
 public:
  Planner(const Topology& t, const PlanRequest& r)
      : t_(t), r_(r), core_used_(t.cores.size(), false), gpu_used_(t.accelerators.size(), false) {}

  Result<Plan> run() {
    if (r_.ranks < 1) return InvalidInput("ranks must be at least 1");
    if (r_.gpus_per_rank < 0 || r_.cores_per_rank < 0)
      return InvalidInput("GPUs and cores per rank cannot be negative");
    int cores = static_cast<int>(t_.cores.size());
    // Unset cores per rank means the node's cores shared out evenly; a remainder stays idle rather
    // than making one rank bigger than the others (data-parallel ranks wait for the slowest).
    int per_rank = r_.cores_per_rank > 0 ? r_.cores_per_rank : cores / r_.ranks;
    // Everything that does not fit is said at once, cores and GPUs, with the node's own numbers.
    std::vector<std::string> short_of;
    if (per_rank < 1 || per_rank * r_.ranks > cores)
      short_of.push_back(std::to_string(r_.ranks) + " ranks × " +
                         std::to_string(std::max(per_rank, 1)) +
                         " cores = " + std::to_string(r_.ranks * std::max(per_rank, 1)) +
                         " cores, but " + t_.source + " has " + std::to_string(cores));
    int gpus = static_cast<int>(t_.accelerators.size());
    if (r_.gpus_per_rank * r_.ranks > gpus)
      short_of.push_back(std::to_string(r_.ranks) + " ranks × " + std::to_string(r_.gpus_per_rank) +
                         " GPUs = " + std::to_string(r_.ranks * r_.gpus_per_rank) + " GPUs, but " +
                         t_.source + " has " + std::to_string(gpus));
    if (!short_of.empty())
      return InvalidInput("the placement cannot fit: it needs " + join(short_of, "; and ") +
                          ". Use fewer ranks per node, or fewer cores or GPUs per rank");
    Plan plan;
    plan.policy =
        r_.policy ? *r_.policy
                  : (r_.gpus_per_rank > 0 ? PlacementPolicy::kGpuAffine : PlacementPolicy::kPack);
    std::vector<int> numa_order = numa_nodes();
    for (int rank = 0; rank < r_.ranks; ++rank) {
      RankPlacement p;
      p.local_rank = rank;
      int home = -1;
      // gpu-affine: GPUs first, then cores on the NUMA node of the rank's first GPU, so host
      // buffers and the GPU's DMA stay on one socket. spread: round-robin over NUMA nodes for
      // memory bandwidth. pack: fill one NUMA node before the next.
      if (plan.policy == PlacementPolicy::kGpuAffine && r_.gpus_per_rank > 0) {
        p.gpus = take_gpus_in_order(r_.gpus_per_rank);
        home = first_numa(t_.accelerators[static_cast<size_t>(p.gpus.front())].numa);
      } else if (plan.policy == PlacementPolicy::kSpread) {
        home = numa_order[static_cast<size_t>(rank) % numa_order.size()];
      }
      if (home < 0) home = numa_with_room(per_rank);
      p.cores = take_cores(home, per_rank);
      p.numa = majority_numa(p.cores);
      if (p.gpus.empty() && r_.gpus_per_rank > 0) p.gpus = take_gpus_near(p.numa, r_.gpus_per_rank);
      // Without SMT a rank gets one hardware thread per core: two compute threads on one core's
      // siblings share its FPUs and run no faster than one.
      for (int c : p.cores) {
        const auto& pus = t_.cores[static_cast<size_t>(c)].pus;
        if (r_.smt)
          p.cpus.insert(p.cpus.end(), pus.begin(), pus.end());
        else if (!pus.empty())
          p.cpus.push_back(pus.front());
      }
      std::sort(p.cpus.begin(), p.cpus.end());
      pick_nic(&p);
      plan.ranks.push_back(std::move(p));
    }
    return plan;
  }

 private:
  std::vector<int> numa_nodes() const {
    std::vector<int> out;
    for (const auto& n : t_.numa)
      if (std::any_of(t_.cores.begin(), t_.cores.end(),
                      [&](const TopoCore& c) { return c.numa == n.os_index; }))
        out.push_back(n.os_index);
    if (out.empty()) out.push_back(-1);  // a topology without NUMA nodes: one pseudo-node
    return out;
  }

  static int first_numa(const std::vector<int>& numa) { return numa.empty() ? -1 : numa.front(); }

  int free_cores_in(int numa) const {
    int n = 0;
    for (size_t i = 0; i < t_.cores.size(); ++i) n += !core_used_[i] && t_.cores[i].numa == numa;
    return n;
  }

  // Pack: the first NUMA node (in order) that still holds a whole rank, else the one with the
  // most free cores.
  int numa_with_room(int need) const {
    int best = -1, best_free = -1;
    for (int n : numa_nodes()) {
      int f = free_cores_in(n);
      if (f >= need) return n;
      if (f > best_free) best = n, best_free = f;
    }
    return best;
  }

  // `need` free cores: from `home` if it has enough; else all of home's and then the nearest
  // nodes' (by NUMA distance).
  std::vector<int> take_cores(int home, int need) {
    std::vector<int> nodes = numa_nodes();
    if (free_cores_in(home) < need) {
      // A node that holds the whole rank beats splitting it, nearest first.
      std::stable_sort(nodes.begin(), nodes.end(), [&](int a, int b) {
        return t_.numa_distance(home, a) < t_.numa_distance(home, b);
      });
      for (int n : nodes)
        if (free_cores_in(n) >= need) {
          home = n;
          break;
        }
    }
    std::stable_sort(nodes.begin(), nodes.end(), [&](int a, int b) {
      if ((a == home) != (b == home)) return a == home;
      return t_.numa_distance(home, a) < t_.numa_distance(home, b);
    });
    std::vector<int> out;
    for (int n : nodes)
      for (size_t i = 0; i < t_.cores.size() && static_cast<int>(out.size()) < need; ++i)
        if (!core_used_[i] && t_.cores[i].numa == n) {
          core_used_[i] = true;
          out.push_back(static_cast<int>(i));
        }
    return out;
  }

  int majority_numa(const std::vector<int>& cores) const {
    std::map<int, int> count;
    for (int c : cores) ++count[t_.cores[static_cast<size_t>(c)].numa];
    int best = -1, most = 0;
    for (auto [n, k] : count)
      if (k > most) best = n, most = k;
    return best;
  }

  std::vector<int> take_gpus_in_order(int need) {
    std::vector<int> out;
    for (size_t i = 0; i < gpu_used_.size() && static_cast<int>(out.size()) < need; ++i)
      if (!gpu_used_[i]) {
        gpu_used_[i] = true;
        out.push_back(static_cast<int>(i));
      }
    return out;
  }

  std::vector<int> take_gpus_near(int numa, int need) {
    std::vector<int> idx(gpu_used_.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(),
                     [&](int a, int b) { return gpu_distance(numa, a) < gpu_distance(numa, b); });
    std::vector<int> out;
    for (int i : idx)
      if (!gpu_used_[static_cast<size_t>(i)] && static_cast<int>(out.size()) < need) {
        gpu_used_[static_cast<size_t>(i)] = true;
        out.push_back(i);
      }
    std::sort(out.begin(), out.end());
    return out;
  }

  // A GPU whose NUMA node hwloc does not know (some VMs) ranks after every known one: 1000 is past
  // any ACPI SLIT distance (10 local, typically 11-32 remote).
  std::uint64_t gpu_distance(int numa, int gpu) const {
    const auto& a = t_.accelerators[static_cast<size_t>(gpu)];
    return a.numa.empty() ? 1000 : t_.numa_distance(numa, a.numa.front());
  }

  void pick_nic(RankPlacement* p) {
    if (t_.nics.empty()) return;
    // Only the fastest kind the node has: InfiniBand (OpenFabrics) if any, else Ethernet.
    bool has_ib = std::any_of(t_.nics.begin(), t_.nics.end(),
                              [](const TopoDevice& d) { return d.subtype == "OpenFabrics"; });
    const TopoDevice* best = nullptr;
    std::pair<std::uint64_t, int> best_key{~0ull, 0};
    for (const auto& d : t_.nics) {
      if (has_ib && d.subtype != "OpenFabrics") continue;
      std::uint64_t dist =
          d.numa.empty() || p->numa < 0 ? 1000 : t_.numa_distance(p->numa, d.numa.front());
      // Nearest first; among equally near NICs the least used, so ranks spread over a node's
      // rails instead of all taking the first.
      std::pair<std::uint64_t, int> key{dist, nic_load_[d.name]};
      if (!best || key < best_key) best = &d, best_key = key;
    }
    if (!best) return;
    ++nic_load_[best->name];
    p->nic = best->name;
    p->nic_kind = best->subtype;
  }

  const Topology& t_;
  const PlanRequest& r_;
  std::vector<bool> core_used_, gpu_used_;
  std::map<std::string, int> nic_load_;
};

// A set of CPUs (or GPUs) as the hex mask srun's --cpu-bind=mask_cpu and --gpu-bind=mask_gpu
// take, highest index leftmost.
std::string hex_mask(const std::vector<int>& cpus) {
  if (cpus.empty()) return "0x0";
  int top = *std::max_element(cpus.begin(), cpus.end());
  std::vector<unsigned> nibbles(static_cast<size_t>(top / 4 + 1), 0);
  for (int c : cpus) nibbles[static_cast<size_t>(c / 4)] |= 1u << (c % 4);
  std::string s = "0x";
  for (auto it = nibbles.rbegin(); it != nibbles.rend(); ++it) s += "0123456789abcdef"[*it];
  return s;
}

}  // namespace

Result<Plan> plan_placement(const Topology& topo, const PlanRequest& req) {
  return Planner(topo, req).run();
}

std::map<std::string, std::string> plan_env(const Topology& topo, const Plan& plan,
                                            int local_rank) {
  std::map<std::string, std::string> env;
  const RankPlacement& p = plan.ranks.at(static_cast<size_t>(local_rank));
  if (!p.gpus.empty()) {
    std::vector<std::string> ids;
    for (int g : p.gpus) ids.push_back(std::to_string(g));
    bool amd = topo.accelerators[static_cast<size_t>(p.gpus.front())].vendor == "amd";
    if (amd) {
      env["ROCR_VISIBLE_DEVICES"] = join(ids, ",");
    } else {
      env["CUDA_VISIBLE_DEVICES"] = join(ids, ",");
      env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";  // CUDA's numbering then matches hwloc's PCI order
    }
  }
  if (!p.nic.empty()) {
    if (p.nic_kind == "OpenFabrics")
      env["NCCL_IB_HCA"] = "=" + p.nic;  // '=': this HCA exactly, not a prefix
    else
      env["NCCL_SOCKET_IFNAME"] = "=" + p.nic;
  }
  env["OMP_NUM_THREADS"] = std::to_string(std::max<size_t>(1, p.cores.size()));
  std::vector<std::string> places;
  for (int c : p.cores) {
    std::vector<int> pus;
    for (int pu : topo.cores[static_cast<size_t>(c)].pus)
      if (std::find(p.cpus.begin(), p.cpus.end(), pu) != p.cpus.end()) pus.push_back(pu);
    std::vector<std::string> s;
    for (int pu : pus) s.push_back(std::to_string(pu));
    places.push_back("{" + join(s, ",") + "}");
  }
  env["OMP_PLACES"] = join(places, ",");
  env["OMP_PROC_BIND"] = "close";
  return env;
}

std::vector<std::string> plan_srun_flags(const Topology&, const Plan& plan) {
  std::vector<std::string> masks, gpus;
  bool one_gpu_each = true;
  for (const auto& p : plan.ranks) {
    masks.push_back(hex_mask(p.cpus));
    one_gpu_each = one_gpu_each && p.gpus.size() == 1;
    std::vector<int> g = p.gpus;
    gpus.push_back(one_gpu_each ? std::to_string(g.empty() ? 0 : g.front()) : hex_mask(g));
  }
  std::vector<std::string> out = {"--ntasks-per-node=" + std::to_string(plan.ranks.size()),
                                  "--cpu-bind=mask_cpu:" + join(masks, ",")};
  bool any_gpu = std::any_of(plan.ranks.begin(), plan.ranks.end(),
                             [](const RankPlacement& p) { return !p.gpus.empty(); });
  if (any_gpu) {
    if (one_gpu_each) {
      out.push_back("--gpu-bind=map_gpu:" + join(gpus, ","));
    } else {
      std::vector<std::string> m;
      for (const auto& p : plan.ranks) m.push_back(hex_mask(p.gpus));
      out.push_back("--gpu-bind=mask_gpu:" + join(m, ","));
    }
  }
  return out;
}

std::string plan_rankfile(const Topology& topo, const Plan& plan,
                          const std::vector<std::string>& hosts) {
  std::string s;
  int rank = 0;
  for (const auto& host : hosts)
    for (const auto& p : plan.ranks) {
      // slot=PACKAGE:CORES, logical indexes, which is how Open MPI reads a rankfile.
      std::map<int, std::vector<int>> by_package;
      for (int c : p.cores)
        by_package[topo.cores[static_cast<size_t>(c)].package].push_back(
            topo.cores[static_cast<size_t>(c)].index_in_package);
      std::vector<std::string> slots;
      for (auto& [pkg, cs] : by_package) slots.push_back(std::to_string(pkg) + ":" + cpu_list(cs));
      s += "rank " + std::to_string(rank++) + "=" + host + " slot=" + join(slots, ";") + "\n";
    }
  return s;
}

std::vector<std::string> plan_mpirun_flags(const Plan& plan) {
  size_t cores = plan.ranks.empty() ? 1 : plan.ranks.front().cores.size();
  const char* unit = plan.policy == PlacementPolicy::kSpread ? "numa" : "node";
  if (plan.policy == PlacementPolicy::kSpread)
    return {"--map-by", std::string("ppr:1:") + unit + ":PE=" + std::to_string(cores), "--bind-to",
            "core"};
  return {"--map-by",
          "ppr:" + std::to_string(plan.ranks.size()) + ":" + unit + ":PE=" + std::to_string(cores),
          "--bind-to", "core"};
}

Json plan_json(const Topology& topo, const Plan& plan) {
  Json j;
  j["policy"] = to_string(plan.policy);
  j["ranks"] = Json::array();
  for (const auto& p : plan.ranks) {
    Json busids = Json::array();
    for (int g : p.gpus) busids.push_back(topo.accelerators[static_cast<size_t>(g)].pci_busid);
    j["ranks"].push_back({{"local_rank", p.local_rank},
                          {"numa", p.numa},
                          {"cores", p.cores},
                          {"cpus", p.cpus},
                          {"cpu_list", cpu_list(p.cpus)},
                          {"gpus", p.gpus},
                          {"gpu_pci_busids", busids},
                          {"nic", p.nic},
                          {"env", plan_env(topo, plan, p.local_rank)}});
  }
  j["srun"] = plan_srun_flags(topo, plan);
  j["mpirun"] = plan_mpirun_flags(plan);
  j["rankfile"] = plan_rankfile(topo, plan, {topo.hostname.empty() ? "localhost" : topo.hostname});
  return j;
}

std::string plan_text(const Topology& topo, const Plan& plan) {
  std::string s = "policy " + std::string(to_string(plan.policy)) + ", " +
                  std::to_string(plan.ranks.size()) + " ranks on " + topo.source + "\n";
  s += "RANK  NUMA  CPUS                      GPUS        NIC\n";
  for (const auto& p : plan.ranks) {
    std::vector<std::string> g;
    for (int x : p.gpus) g.push_back(std::to_string(x));
    auto pad = [](std::string x, size_t w) {
      return x.size() >= w ? x + " " : x + std::string(w - x.size(), ' ');
    };
    s += pad(std::to_string(p.local_rank), 6) + pad(std::to_string(p.numa), 6) +
         pad(cpu_list(p.cpus), 26) + pad(g.empty() ? "-" : join(g, ","), 12) +
         (p.nic.empty() ? "-" : p.nic) + "\n";
  }
  s += "srun:   " + join(plan_srun_flags(topo, plan), " ") + "\n";
  s += "mpirun: " + join(plan_mpirun_flags(plan), " ") + " (or --rankfile; see --output json)\n";
  return s;
}

}  // namespace slipway::topo
