// The batch script of one task attempt: what `sbatch` receives. A pure function of the launch and
// the backend config, so every resource mapping is unit-tested without a cluster.
//
//   cpus -> --cpus-per-task (rounded up)   memory -> --mem (per node, MiB)
//   gpus -> --gpus-per-task                nodes/tasks_per_node -> --nodes/--ntasks-per-node
//   time_limit -> --time                   partition/account/qos/constraint: task, else config
// A task with more than one rank runs its command under `srun --mpi=<mpi>`.
#pragma once

#include <string>

#include "backends/backend.h"
#include "backends/slurm/slurm_config.h"

namespace slipway {

// "sw:<run>:<task>:<attempt>": how a job is found again after the driver died.
std::string slurm_job_name(const TaskLaunch& l);
std::string slurm_job_name_prefix(const std::string& run_id);
// The launch key ("task#attempt") of a job name of this run, or "" when it is not one.
std::string launch_key_from_job_name(const std::string& run_id, const std::string& job_name);

// Slurm's --time form, D-HH:MM:SS, rounded up to whole seconds.
std::string slurm_time(std::int64_t ms);

std::string render_sbatch_script(const TaskLaunch& l, const SlurmConfig& c);

// POSIX shell single-quoting.
std::string shell_quote(const std::string& s);

}  // namespace slipway
