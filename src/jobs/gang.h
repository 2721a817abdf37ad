// Starting a training job's replicas together and ending them together: what `slipway job-gang`
// (the one process of a job's task) does. Each replica starts through `slipway launch --pod`, so
// it is placed and bound like any rank, with the environment its operator would give it; its
// output comes back prefixed with its name ("[worker-1] ..."). The job ends as its operator's
// success rule says (the Master, the Chief, worker 0, every worker, the MPI launcher); the first
// replica to fail fails the job, and the others are stopped.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "jobs/operator_env.h"
#include "spec/training_job.h"

namespace slipway::jobs {

struct GangOptions {
  std::string self;    // the slipway executable, for `slipway launch`
  std::string job_id;  // decides the ports, so jobs sharing a host do not collide
  int port_lo = 29500, port_hi = 39499;
  std::string scratch_dir;      // where the MPI hostfile is written
  std::string default_workdir;  // where replicas without a workingDir start
  // The allocation's nodes in order (Slurm's SLURM_JOB_NODELIST), one per replica: the replicas
  // then start as one srun step per replica type. Empty: every replica on this host.
  std::vector<std::string> nodes;
  // apptainer or singularity: each replica runs in its container's image (`RUNTIME exec IMAGE
  // COMMAND ARGS`, or `RUNTIME run IMAGE ARGS` for the image's entrypoint). Empty: on the host.
  std::string container_runtime;
  int grace_ms = 5000;  // SIGTERM to SIGKILL when replicas are stopped
};

struct ReplicaLaunch {
  ReplicaRef ref;                 // on Slurm, the step's replica type and its first replica
  std::vector<std::string> argv;  // `slipway launch --pod ... -- COMMAND ARGS`
  EnvMap env;                     // the container's and the operator's variables
  std::string workdir;
  bool watched = false;          // the job succeeds once every watched replica has
  bool srun_step = false;        // output lines carry srun's "N: " label, N the replica's index
  bool stop_on_success = false;  // stopped once the job has succeeded, rather than waited for
};

// An elastic job in an allocation of `nodes` nodes: as many Workers as the nodes left hold,
// within its elasticPolicy. An error when the nodes are too few for its minimum; a job that is not
// elastic is left as written.
Status fit_to_allocation(spec::TrainingJob* job, int nodes);

// The replicas to start on this host, with their commands and environments. MPI workers are not
// started: the launcher's mpirun starts the ranks on their slots (written to a hostfile).
Result<std::vector<ReplicaLaunch>> plan_gang(const spec::TrainingJob& job, const GangOptions& o);

// Starts them, relays their output, and waits: 0 when the job succeeded, else the exit code of
// the replica that failed first (128+signal for a signal).
int run_gang(const std::vector<ReplicaLaunch>& replicas, const GangOptions& o);

// One replica of an srun step (`slipway job-gang --replica TYPE`): its index is the step's
// SLURM_PROCID; it takes its operator's variables and execs `slipway launch --pod`. Returns only
// on failure.
Status exec_replica(const spec::TrainingJob& job, const std::string& type, int index,
                    const GangOptions& o);

}  // namespace slipway::jobs
