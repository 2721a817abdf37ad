// `slipway serve -f FILE...`: InferenceServices turned into a model repository the daemon serves
// like any other. Each service becomes DIR/<metadata.name>/<version>/config.json naming its
// format, the directory its storageUri resolves to, and its predictor's settings (batcher,
// timeout, replicas, resources, env, logger). The model files stay where the user keeps them.
//
// Versions follow KServe's rollouts: a service whose settings or storage changed since the last
// start gets a new version; with canaryTrafficPercent the previous version keeps the rest of the
// traffic, without it the new version takes all and older ones are removed.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "serve/inference_service.h"

namespace slipway::serve {

struct StorageOptions {
  std::filesystem::path base;  // relative storageUri paths are relative to this
  std::map<std::string, std::filesystem::path> pvcs;  // pvc://NAME/PATH → pvcs[NAME]/PATH
  std::filesystem::path registry;  // models:/NAME[/VERSION] reads this model repository
  // A custom predictor's image → the Python file (a kserve.Model subclass) it was built from.
  std::map<std::string, std::filesystem::path> custom_predictors;
};

// Where a storageUri's model files are on this machine: a local path, file://PATH,
// pvc://CLAIM/PATH through the serve config's pvc map, or models:/NAME[/VERSION] (slipway's
// registry; the newest version when none is given). Remote schemes (gs://, s3://, hf://, https://,
// oci://...) are refused with how to point at a local copy.
Result<std::filesystem::path> resolve_storage_uri(const std::string& uri,
                                                  const StorageOptions& options);

struct StagedService {
  InferenceService service;
  std::filesystem::path storage;         // resolved
  std::filesystem::path predictor_file;  // custom: the kserve.Model file
  int version = 0;                       // the version this start serves
  std::map<int, int> traffic;            // a canary's split; empty: all to `version`
};

// Writes the repository under `root` for these services (names must be unique) and returns what
// each serves. Services no longer named are removed from `root`.
Result<std::vector<StagedService>> stage_services(const std::vector<InferenceService>& services,
                                                  const StorageOptions& options,
                                                  const std::filesystem::path& root);

}  // namespace slipway::serve
