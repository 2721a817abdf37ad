// What Slurm says about jobs, parsed: squeue's "%i|%T|%r" lines and `scontrol show job -o`
// records. Pure functions, unit-tested on real output shapes.
#pragma once

#include <map>
#include <string>

#include "backends/backend.h"

namespace slipway::backends {

struct SlurmJobState {
  std::string id;
  std::string name;
  std::string state;  // PENDING RUNNING COMPLETED FAILED CANCELLED TIMEOUT ...
  std::string reason;
  int exit_code = -1;  // from ExitCode=N:S
  int signal = 0;
  std::string nodes;
  int array_index = -1;  // the element of a job array, or -1
};

// squeue -h -o "%i|%T|%r|%j" lines, keyed by job id.
std::map<std::string, SlurmJobState> parse_squeue(const std::string& out);

// scontrol show job -o: one job per line of Key=Value fields, keyed by job id ("123", or
// "123_4" for an array element). A record for still-pending elements ("ArrayTaskId=5-9%2") is
// expanded into one entry per element.
std::map<std::string, SlurmJobState> parse_scontrol_jobs(const std::string& out);

bool slurm_state_is_terminal(const std::string& state);

// A terminal job as the engine's Completion: exit code, signal, why in words, and whether the
// failure was the infrastructure's (node failure, preemption) so it is retried for free.
Completion completion_from_slurm(const std::string& key, const SlurmJobState& j);

}  // namespace slipway::backends
