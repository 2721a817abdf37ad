// Who this process is in a multi-rank job, read from the environment of whatever started it:
// Slurm's srun, Open MPI's mpirun (also what Kubeflow's MPIJob runs), a Kubeflow PyTorchJob pod,
// or nothing (then `slipway launch --nproc N` starts the ranks itself).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace slipway::launcher {

using EnvMap = std::map<std::string, std::string>;

struct RankInfo {
  std::string source;  // slurm, openmpi, pytorchjob, local
  int rank = 0, world_size = 1;
  int local_rank = 0, local_world_size = 1;
  int node_rank = 0, nodes = 1;
  std::vector<std::string> hosts;  // the job's hosts in node-rank order, where the launcher says
  std::string job_id;              // distinguishes concurrent jobs (rendezvous port)
  std::string master_addr;         // given by the environment (PyTorchJob, a user's MASTER_ADDR)
  int master_port = 0;
  bool spawn_local = false;  // this process starts local_world_size ranks itself
};

// nullopt: no launcher's variables are present. An error: they are present but inconsistent.
Result<std::optional<RankInfo>> discover_rank(const EnvMap& env);

// Slurm host lists: "n[1-3,7],gpu-a[01-02]" -> n1 n2 n3 n7 gpu-a01 gpu-a02 (zero padding kept).
Result<std::vector<std::string>> expand_hostlist(const std::string& list);

// Slurm's per-node task counts: "2(x3),1" -> 2 2 2 1.
Result<std::vector<int>> expand_tasks_per_node(const std::string& spec);

// A port in [lo, hi] that depends only on the job id: every rank of a job computes the same
// one, and jobs sharing nodes get different ones (unless their ids collide in the range).
int rendezvous_port(const std::string& job_id, int lo, int hi);

// A port range as `--port-range` and SLIPWAY_PORT_RANGE write it: "LO-HI" within 1024-65535.
Result<std::pair<int, int>> parse_port_range(const std::string& text);

EnvMap current_environment();

}  // namespace slipway::launcher
