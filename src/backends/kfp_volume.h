// kfp-kubernetes' CreatePVC and DeletePVC as slipway runs them: the step `slipway __kfp-volume
// create|delete RUN_ID EXECUTOR_INPUT` (what the KFP importer makes of them). Locally and on
// Slurm the step itself makes a named directory; the Kubernetes backend recognizes it and makes
// (or deletes) a real PersistentVolumeClaim instead. Both name the claim the same way, here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace slipway::backends {

struct KfpVolumeStep {
  std::string op;  // "create" or "delete"
  std::string run_id;
  Json executor_input;
  std::string claim;  // the claim's name (pvc_name, or the run id and pvc_name_suffix)
};

// The step an argv is, or nullopt when it is not a volume step. An argv that is one but is
// malformed (an unusable name, no executor input) is an error that says what to fix.
Result<std::optional<KfpVolumeStep>> kfp_volume_step(const std::vector<std::string>& argv);

// A string parameter of the step's executor input ("" when absent).
std::string kfp_volume_param(const KfpVolumeStep& s, const char* name);

// Where the step must write its `name` output (the claim's name), from its executor input.
std::string kfp_volume_name_output(const KfpVolumeStep& s);

// The PersistentVolumeClaim a create step asks for: access_modes, size, storage_class,
// volume_name and annotations as CreatePVC documents them.
// (Its namespace is kubectl's: the backend's configured one or the context's.)
Json kfp_pvc_manifest(const KfpVolumeStep& s);

}  // namespace slipway::backends
