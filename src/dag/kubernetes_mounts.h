// kfp-kubernetes volumes outside Kubernetes: what a task's pvcMount, secretAsVolume,
// configMapAsVolume, emptyDirMounts and genericEphemeralVolume settings mount, and the command
// line that mounts them for the step alone.
//
// A claim is a directory $SLIPWAY_VOLUMES/NAME (default $SLIPWAY_HOME/volumes; CreatePVC makes
// it), a secret or config map the directory of its keys ($SLIPWAY_SECRETS/NAME,
// $SLIPWAY_CONFIGMAPS/NAME, mounted read-only), and an emptyDir or ephemeral volume a fresh
// directory in the task's own directory. The step sees each at its mountPath through a bind
// mount in a mount namespace of its own (util-linux `unshare`; an unprivileged user gets a user
// namespace too), so nothing outside the step changes and two steps may mount different volumes
// at one path. Inside a container runtime the runtime binds them instead.
#pragma once

#include <string>
#include <vector>

#include "dag/resolve.h"

namespace slipway::dag {

struct Mount {
  std::string source;  // a directory here
  std::string target;  // the mountPath the step sees
  bool read_only = false;
};

// The mounts a task's kubernetes settings ask for. A claim, secret or config map that is not
// here fails with the directory to create (an `optional` secret or config map is skipped).
// Empty-dir volumes are created afresh under `task_dir`.
Result<std::vector<Mount>> kubernetes_mounts(const ResolveContext& ctx, const Json& kubernetes,
                                             const std::string& task_dir);

// The names of the claims a task mounts (pvcMount), in order: part of its cache key, as in
// KFP, so a step run on another volume is not served from the cache.
Result<std::vector<std::string>> kubernetes_claim_names(const ResolveContext& ctx,
                                                        const Json& kubernetes);

// What a pod applies itself on --backend k8s (backends::TaskLaunch::pod_settings): the same
// settings as volumes, env references to secrets, config maps and pod fields, and pod labels
// and annotations, with every name resolved for this task instance.
Result<Json> kubernetes_pod_settings(const ResolveContext& ctx, const Json& kubernetes);

// The command line that runs `argv` with `mounts` in place: `apptainer exec` (or singularity)
// gets --bind options; a host command is run by a small shell inside a private mount namespace.
std::vector<std::string> with_mounts(const std::vector<Mount>& mounts,
                                     std::vector<std::string> argv,
                                     const std::string& container_runtime);

}  // namespace slipway::dag
