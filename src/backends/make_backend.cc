// The backend named on the command line, configured from the site's files and probed, so that a
// missing sbatch or kubectl is reported before a run is created rather than when its first task
// starts. The one place that knows every backend: the engine sees only the Backend interface.
#include "backends/make_backend.h"

#include <cstdlib>

#include "backends/k8s/k8s_backend.h"
#include "backends/local/local_backend.h"
#include "backends/slurm/slurm_backend.h"
#include "core/files.h"
#include "core/subprocess.h"

namespace slipway::backends {

Result<std::unique_ptr<Backend>> make_backend(const std::string& name) {
  if (name == "local") return std::unique_ptr<Backend>(new LocalBackend(LocalCapacity::detect()));
  if (name == "slurm") {
    auto config = SlurmConfig::load_default();
    if (!config.ok()) return config.status();
    auto probe = run_command({"sbatch", "--version"}, 10'000);
    if (!probe.ok() || probe->exit_code != 0)
      return InvalidInput(
          "--backend slurm needs Slurm's client commands (sbatch, squeue, scancel) on PATH"
          " and a reachable controller (SLURM_CONF); for a test cluster on this machine:"
          " slurm/local-cluster.sh up && eval \"$(slurm/local-cluster.sh env)\"");
    return std::unique_ptr<Backend>(new SlurmBackend(*config));
  }
  if (name == "k8s") {
    auto config = K8sConfig::load_default();
    if (!config.ok()) return config.status();
    auto probe = run_command({config->kubectl, "version", "--client"}, 10'000);
    if (!probe.ok() || probe->exit_code != 0)
      return InvalidInput("--backend k8s needs kubectl (" + config->kubectl +
                          ") on PATH, configured for the cluster"
                          " (KUBECONFIG); Debian ships it as kubernetes-client");
    if (config->pvc.empty() && config->host_path.empty())
      return InvalidInput(
          "--backend k8s needs the run root on a volume every pod mounts: set run_root.pvc (a "
          "ReadWriteMany PersistentVolumeClaim) or run_root.host_path in " +
          std::string(std::getenv("SLIPWAY_K8S_CONFIG") ? "$SLIPWAY_K8S_CONFIG"
                                                        : "$SLIPWAY_HOME/k8s.yaml") +
          "; see docs/kubernetes.md");
    return std::unique_ptr<Backend>(new K8sBackend(*config, self_executable().string()));
  }
  return InvalidInput("unknown backend '" + name + "'; available: local, slurm, k8s");
}

}  // namespace slipway::backends
