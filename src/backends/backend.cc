#include "backends/backend.h"

#include "backends/local/local_backend.h"
#include "backends/slurm/slurm_backend.h"
#include "core/subprocess.h"

namespace slipway {

Result<std::unique_ptr<Backend>> make_backend(const std::string& name) {
  if (name == "local") return std::unique_ptr<Backend>(new LocalBackend(LocalCapacity::detect()));
  if (name == "slurm") {
    auto config = SlurmConfig::load_default();
    if (!config.ok()) return config.status();
    auto probe = run_command({"sbatch", "--version"}, 10'000);
    if (!probe.ok() || probe->exit_code != 0)
      return InvalidInput("--backend slurm needs Slurm's client commands (sbatch, squeue, scancel) on PATH"
                          " and a reachable controller (SLURM_CONF); for a test cluster on this machine:"
                          " slurm/local-cluster.sh up && eval \"$(slurm/local-cluster.sh env)\"");
    return std::unique_ptr<Backend>(new SlurmBackend(*config));
  }
  return InvalidInput("unknown backend '" + name + "'; available: local, slurm");
}

}  // namespace slipway
