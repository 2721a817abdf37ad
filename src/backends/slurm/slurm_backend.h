// The Slurm backend: each attempt is a batch job submitted with sbatch; the state of all of a
// run's jobs comes from one squeue per poll interval (plus one `scontrol show job` when some have
// left the queue), never one call per job. Job names carry the run id and the attempt key, so a
// resumed driver finds its jobs again and adopts them instead of running them twice.
//
// Not thread-safe; the engine's thread owns it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/slurm/slurm_config.h"
#include "backends/slurm/slurm_state.h"
#include "core/subprocess.h"

namespace slipway::backends {

class SlurmBackend : public Backend {
 public:
  explicit SlurmBackend(SlurmConfig config);

  std::string name() const override { return "slurm"; }
  Status check_fits(const spec::Resources& r) const override;
  bool has_room(const spec::Resources& r) const override;
  bool reserve(const spec::Resources& r) override;
  Result<LaunchHandle> launch(const TaskLaunch& l) override;
  // Fan-out items of one task and attempt go in one job array; the rest one job each.
  std::vector<Result<LaunchHandle>> launch_many(const std::vector<TaskLaunch>& ls) override;
  bool enforces_parallelism() const override { return true; }
  std::vector<Completion> wait(std::int64_t timeout_ms) override;
  void terminate(const std::string& key, std::int64_t grace_ms) override;
  size_t in_flight() const override { return jobs_.size(); }
  Result<std::vector<std::string>> reattach(const std::string& run_id,
                                            const std::vector<Adoptable>& running) override;

  // Client calls by command and poll ticks: a run's squeue calls never exceed its polls.
  Json stats() const override;

 private:
  Result<CommandResult> call(const std::vector<std::string>& argv);
  std::map<std::string, SlurmJobState> poll_jobs(const std::vector<std::string>& ids);
  Result<std::string> submit(const std::string& script_path, const std::string& script);

  SlurmConfig config_;
  std::map<std::string, std::string> jobs_;    // job id -> launch key
  std::map<std::string, std::string> by_key_;  // launch key -> job id
  int reserved_ = 0;
  std::int64_t last_poll_ms_ = 0;
  std::map<std::string, int> calls_;
  int polls_ = 0;
  size_t max_in_flight_seen_ = 0;
};

}  // namespace slipway::backends
