// Rank placement on one node: pure functions from a topology and a request to each local rank's
// cores, GPUs and NIC, and renderers of a plan for the tools that apply it (environment, srun,
// Open MPI).
//
// Policies:
//   gpu-affine  ranks take GPUs in PCI order, then cores on their first GPU's NUMA node
//               (the default when ranks use GPUs)
//   pack        ranks fill NUMA nodes one after another (the default without GPUs)
//   spread      ranks go round-robin over NUMA nodes
// A rank's cores stay within one NUMA node whenever some node has enough free cores; otherwise
// they come from the nearest nodes. NICs: the closest one, InfiniBand before Ethernet, shared out
// evenly among equally close ranks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "topo/topology.h"

namespace slipway::topo {

enum class PlacementPolicy { kGpuAffine, kPack, kSpread };
Result<PlacementPolicy> parse_policy(const std::string& s);
const char* to_string(PlacementPolicy p);

struct PlanRequest {
  int ranks = 1;  // ranks on this node
  int gpus_per_rank = 0;
  int cores_per_rank = 0;                 // 0: the node's cores shared out evenly
  bool smt = true;                        // bind to every hardware thread of the rank's cores
  std::optional<PlacementPolicy> policy;  // default: gpu-affine with GPUs, else pack
};

struct RankPlacement {
  int local_rank = 0;
  int numa = -1;           // OS index of the NUMA node the rank lives on
  std::vector<int> cores;  // logical core indexes
  std::vector<int> cpus;   // OS indexes of the PUs it is bound to
  std::vector<int> gpus;   // accelerator indexes (PCI order)
  std::string nic;         // OS device name, e.g. mlx5_0; empty if the node has none
  std::string nic_kind;    // OpenFabrics or Network
};

struct Plan {
  PlacementPolicy policy = PlacementPolicy::kPack;
  std::vector<RankPlacement> ranks;
};

Result<Plan> plan_placement(const Topology& topo, const PlanRequest& req);

// Environment for one rank: CUDA_VISIBLE_DEVICES (or HIP/ROCR for AMD), CUDA_DEVICE_ORDER,
// NCCL_IB_HCA or NCCL_SOCKET_IFNAME, OMP_NUM_THREADS, OMP_PLACES, OMP_PROC_BIND.
std::map<std::string, std::string> plan_env(const Topology& topo, const Plan& plan, int local_rank);

// srun options that apply the plan to a step with one task per rank.
std::vector<std::string> plan_srun_flags(const Topology& topo, const Plan& plan);

// An Open MPI rankfile for the plan on the given hosts (one line per rank, ranks numbered node by
// node), and the equivalent mpirun options.
std::string plan_rankfile(const Topology& topo, const Plan& plan,
                          const std::vector<std::string>& hosts);
std::vector<std::string> plan_mpirun_flags(const Plan& plan);

Json plan_json(const Topology& topo, const Plan& plan);
std::string plan_text(const Topology& topo, const Plan& plan);

}  // namespace slipway::topo
