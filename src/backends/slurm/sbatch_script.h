// The batch script of one task attempt: what `sbatch` receives. A pure function of the launch and
// the backend config, so every resource mapping is unit-tested without a cluster.
//
//   cpus -> --cpus-per-task (rounded up)   memory -> --mem (per node, MiB)
//   gpus -> --gpus-per-task                nodes/tasks_per_node -> --nodes/--ntasks-per-node
//   time_limit -> --time                   partition/account/qos/constraint: task, else config
// A task with more than one rank runs its command under `srun --mpi=<mpi>`.
#pragma once

#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/slurm/slurm_config.h"

namespace slipway::backends {

// "sw:<run>:<task>:<attempt>": how a job is found again after the driver died.
std::string slurm_job_name(const TaskLaunch& l);
std::string slurm_job_name_prefix(const std::string& run_id);
// The launch key ("task#attempt") of a job name of this run, or "" when it is not one.
std::string launch_key_from_job_name(const std::string& run_id, const std::string& job_name);

// Slurm's --time form, D-HH:MM:SS, rounded up to whole seconds.
std::string slurm_time(std::int64_t ms);

std::string render_sbatch_script(const TaskLaunch& l, const SlurmConfig& c);

// One job array for fan-out items of one task and attempt: --array=<indexes>%<parallelism>, each
// element running its own item (its own command line, environment and directory). Returns "" when
// the items cannot share an array (their log paths do not follow one %a pattern).
std::string render_sbatch_array_script(const std::vector<TaskLaunch>& items, const SlurmConfig& c);

// "0-3,7,9-10": Slurm's compact form of a sorted index list.
std::string slurm_index_ranges(std::vector<int> indexes);

// The launch key of an array element, from its array's job name and its index.
std::string launch_key_for_element(const std::string& run_id, const std::string& job_name,
                                   int index);

}  // namespace slipway::backends
