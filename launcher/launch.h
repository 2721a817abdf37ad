// `slipway launch`: the one way a rank of a multi-rank task starts, on every backend.
//
// It learns who it is from the environment (rank_env.h), plans the node's placement
// (topo/placement.h), binds itself to its rank's CPUs and verifies the binding, narrows the GPUs
// and picks the NIC, sets PyTorch's rendezvous variables (MASTER_ADDR, MASTER_PORT, RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK) and execs the command. Started by
// nothing (or a PyTorchJob pod running its node's ranks), it starts the node's ranks itself and
// waits for them, stopping them all when one fails.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "launcher/rank_env.h"
#include "topo/placement.h"

namespace slipway::launcher {

struct LaunchOptions {
  int nproc = 0;           // ranks to start here when no launcher started them (0: 1)
  int gpus_per_rank = -1;  // -1: the visible GPUs shared out evenly
  int cores_per_rank = 0;  // 0: the node's cores shared out evenly
  std::optional<topo::PlacementPolicy> policy;
  bool bind = true;
  bool verbose = false;
  int port_lo = 29500, port_hi = 39499;
  std::string xml;  // plan on this topology instead of this machine's (no binding then)
  // A pod of a training job (`--pod I/N`): the I-th of N replicas sharing this node. It is placed
  // and bound as one of them, and keeps the rank variables its operator gave it: none are set.
  int pod_index = 0, pods_on_node = 0;
};

// Everything a rank needs, decided before anything is changed; what `--dry-run` prints.
struct RankSetup {
  RankInfo info;
  int rank = 0, local_rank = 0;
  std::vector<int> cpus;     // empty: leave the binding alone
  std::string binding_note;  // why the binding is left alone, if it is
  EnvMap env;                // variables to set
};

// The setups of the ranks this process is responsible for: one when a launcher started it, the
// node's ranks when it starts them itself.
Result<std::vector<RankSetup>> plan_launch(const LaunchOptions& opts, const EnvMap& env);

// Applies a setup to this process and execs the command; returns only on failure.
Status exec_rank(const RankSetup& s, const std::vector<std::string>& cmd, bool verbose);

// Runs the command as the given ranks (forked children) and waits; the exit code of the first
// rank that failed, or 0.
int run_local_ranks(const std::vector<RankSetup>& setups, const std::vector<std::string>& cmd,
                    bool verbose);

// The address of a host: the resolver's, else Slurm's NodeAddr for it.
Result<std::string> resolve_host(const std::string& host);

// The job id of ranks this process starts itself (for their rendezvous port).
std::string local_job_id(const EnvMap& env);

// Starts `nproc` local ranks through Open MPI's mpirun, each running `self launch LAUNCH_ARGS --
// CMD`: MPI programs then get a real MPI world, and every rank is still placed and bound by the
// launcher. Returns only if mpirun could not be started.
Status exec_under_mpirun(int nproc, const std::string& self,
                         const std::vector<std::string>& launch_args,
                         const std::vector<std::string>& cmd, const EnvMap& env);

}  // namespace slipway::launcher
