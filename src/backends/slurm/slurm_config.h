// Settings of the Slurm backend: defaults for every job (partition, account, qos, constraint,
// extra sbatch flags) and how it talks to the controller. Read from the YAML file named by
// $SLIPWAY_SLURM_CONFIG, else $SLIPWAY_HOME/slurm.yaml when it exists; every key is optional:
//
//   partition: gpu
//   account: ml
//   qos: normal
//   constraint: a100
//   sbatch_args: [--exclusive]
//   poll_interval: 1s       # one squeue per interval for all of a run's jobs
//   max_in_flight: 1000     # jobs a run keeps submitted at once
//   mpi: pmix               # srun --mpi=... for multi-rank tasks
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway::backends {

struct SlurmConfig {
  std::string partition, account, qos, constraint;
  std::vector<std::string> sbatch_args;
  std::int64_t poll_interval_ms = 1000;
  int max_in_flight = 1000;
  std::string mpi = "pmix";

  static Result<SlurmConfig> load_default();
  static Result<SlurmConfig> load(const std::string& path);
};

}  // namespace slipway::backends
