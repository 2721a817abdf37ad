// `slipway models deploy NAME [VERSION] --backend k8s`: a registered model served on Kubernetes
// as a KServe InferenceService whose predictor is `slipway serve` over the model repository on
// the run root's volume. Prints the manifest (for review or GitOps) or applies it with kubectl.
#include <cstdio>

#include "backends/k8s/manifests.h"
#include "cli/common.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/subprocess.h"
#include "core/units.h"
#include "core/yaml_json.h"

namespace slipway::cli {

int models_deploy(store::Store& store, const std::string& name, std::optional<int> version,
                  const po::variables_map& vm) {
  if (vm["backend"].as<std::string>() != "k8s") {
    std::fprintf(
        stderr,
        "slipway models deploy: only --backend k8s deploys; on a workstation or Slurm node run "
        "`slipway serve`\n");
    return 2;
  }
  if (!version) version = store.production_version(name);
  if (!version) {
    std::fprintf(
        stderr,
        "slipway models deploy: %s has no production version; name one (slipway models deploy %s "
        "VERSION) or promote one (slipway models promote %s VERSION)\n",
        name.c_str(), name.c_str(), name.c_str());
    return 1;
  }
  if (auto v = store.get_model_version(name, *version); !v.ok()) {
    std::fprintf(stderr, "slipway models deploy: %s\n", v.status().message().c_str());
    return 1;
  }
  auto config = backends::K8sConfig::load_default();
  if (!config.ok()) {
    std::fprintf(stderr, "slipway: %s\n", config.status().message().c_str());
    return 2;
  }
  backends::ServingDeploy d;
  d.model = name;
  d.version = *version;
  d.name = vm.count("deploy-name") ? vm["deploy-name"].as<std::string>()
                                   : backends::k8s_label_value(name);
  std::string home = config->mount_path.empty() ? slipway_home().string() : config->mount_path;
  d.model_repo = home + "/models";
  d.min_replicas = vm["min-replicas"].as<int>();
  d.max_replicas = std::max(d.min_replicas, vm["max-replicas"].as<int>());
  d.canary_percent = vm["canary-percent"].as<int>();
  d.gpus = vm["gpus"].as<int>();
  if (d.canary_percent > 100 || d.canary_percent < -1) {
    std::fprintf(stderr, "slipway models deploy: --canary-percent must be 0..100\n");
    return 2;
  }
  auto obj = backends::render_inference_service(d, *config, self_executable().string());
  if (!obj.ok()) {
    std::fprintf(stderr, "slipway models deploy: %s\n", obj.status().message().c_str());
    return 2;
  }
  std::string yaml = json_to_yaml(*obj);
  if (!vm["apply"].as<bool>()) {
    std::fputs(yaml.c_str(), stdout);
    return 0;
  }
  auto r = run_command(config->kubectl_argv({"apply", "-f", "-"}), 120'000, yaml);
  if (!r.ok() || r->exit_code != 0) {
    std::fprintf(
        stderr, "slipway models deploy: kubectl apply refused the InferenceService: %s\n",
        r.ok() ? trim(r->err.empty() ? r->out : r->err).c_str() : r.status().message().c_str());
    return 1;
  }
  std::printf("%s version %d: %s", name.c_str(), *version, r->out.c_str());
  return 0;
}

}  // namespace slipway::cli
