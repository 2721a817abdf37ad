// `slipway __kfp-volume create|delete RUN_ID EXECUTOR_INPUT`: the steps kfp-kubernetes' CreatePVC
// and DeletePVC become outside Kubernetes. A PersistentVolumeClaim is a named directory here,
// under $SLIPWAY_VOLUMES (a shared filesystem on a cluster) or else $SLIPWAY_HOME/volumes. Like a
// claim, it outlives the run that created it until a DeletePVC step (or a person) removes it,
// so a later run can mount it by name. (On --backend k8s the backend makes a real claim
// instead; backends/kfp_volume.h.)
#include <cstdio>
#include <filesystem>

#include "backends/kfp_volume.h"
#include "cli/commands.h"
#include "core/files.h"
#include "dag/kubernetes_env.h"

namespace slipway::cli {

namespace fs = std::filesystem;

int cmd_kfp_volume(const Args& args) {
  std::vector<std::string> argv = {"slipway", "__kfp-volume"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto step = backends::kfp_volume_step(argv);
  if (!step.ok() || !*step) {
    std::fprintf(stderr, "slipway: %s\n",
                 step.ok() ? "__kfp-volume: not a volume step" : step.status().message().c_str());
    return 2;
  }
  const backends::KfpVolumeStep& s = **step;
  fs::path dir = dag::local_objects_root("SLIPWAY_VOLUMES", "volumes") / s.claim;
  std::error_code ec;
  if (s.op == "delete") {
    fs::remove_all(dir, ec);
    if (ec) {
      std::fprintf(stderr, "slipway: cannot delete volume %s: %s\n", dir.c_str(),
                   ec.message().c_str());
      return 1;
    }
    std::printf("deleted volume %s (%s)\n", s.claim.c_str(), dir.c_str());
    return 0;
  }
  std::string out = backends::kfp_volume_name_output(s);
  if (out.empty()) {
    std::fprintf(stderr, "slipway: __kfp-volume create: the step declares no output 'name'\n");
    return 2;
  }
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "slipway: cannot create volume %s: %s\n", dir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  if (Status w = write_file_atomic(out, s.claim); !w.ok()) {
    std::fprintf(stderr, "slipway: %s\n", w.message().c_str());
    return 1;
  }
  std::printf("volume %s at %s (size %s asked; a directory here has no quota)\n", s.claim.c_str(),
              dir.c_str(), backends::kfp_volume_param(s, "size").c_str());
  return 0;
}

}  // namespace slipway::cli
