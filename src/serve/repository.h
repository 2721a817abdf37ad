// The model repository the daemon serves: DIR/<model>/<version>/ with the model's files (model.h5,
// model.joblib, model.onnx... model.h: load_model) and config.json (`slipway ml register`
// publishes them atomically; `slipway serve -f` writes a config.json whose `storage` names the
// directory an InferenceService's storageUri points at). Every version present is loaded; polling
// the directory (portable to NFS and Lustre, where inotify does not see other nodes' writes) loads
// versions that appear and unloads those that go. The OIP repository extension's load and unload
// act on a whole model: load (re)reads every version from disk, replacing a loaded one once the
// new instance is ready; an unloaded model stays unloaded until it is loaded again.
//
// Requests without a version go to the model's traffic split (a canary) if one is set, else to
// the version at stage production in the registry, else to the newest.
//
// Thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "serve/batcher.h"
#include "serve/drift.h"
#include "serve/metrics.h"
#include "serve/model.h"
#include "serve/python_model.h"
#include "serve/request_logger.h"

namespace slipway::serve {

struct LoadedVersion {
  std::string model;
  int version = 0;
  std::shared_ptr<Model> impl;
  std::unique_ptr<Batcher> batcher;
  std::unique_ptr<DriftMonitor> drift;    // when the version has reference statistics
  std::unique_ptr<RequestLogger> logger;  // when its config.json has a logger
  Json config = Json::object();
};

struct VersionStatus {
  std::string model;
  int version = 0;
  std::string state;  // READY, UNAVAILABLE (unloaded), FAILED (with the reason)
  std::string reason;
};

struct RepositoryOptions {
  BatchPolicy
      batch;  // defaults; a version's config.json may set max_batch_size, max_queue_delay_ms
  size_t drift_window = 1000;  // rows of live inputs per version
  // The version of a model at stage production in the registry, if any (no registry: none).
  std::function<std::optional<int>(const std::string& model)> production_version;
  PythonRuntimeOptions python;  // how Python-only formats (sklearn, onnx...) are run
};

class Repository {
 public:
  Repository(std::filesystem::path root, RepositoryOptions options, Metrics& metrics);
  ~Repository();

  // Scans the directory: loads new versions (and changed failed ones), unloads removed ones.
  void poll();
  Status load(const std::string& model);
  Status unload(const std::string& model);
  std::vector<VersionStatus> index() const;

  // The version a request goes to: `version` when given, else the traffic split's pick, else
  // production, else the newest. NotFound for an unknown model or version, Unavailable when it
  // is not ready.
  Result<std::shared_ptr<LoadedVersion>> route(const std::string& model,
                                               std::optional<int> version);
  std::vector<int> ready_versions(const std::string& model) const;
  // Percent per version, summing to 100, every version loaded; an empty split clears it.
  Status set_traffic(const std::string& model, const std::map<int, int>& percent);
  std::map<int, int> traffic(const std::string& model) const;
  // Stops every batcher after it finishes what it has queued.
  void stop_all();

 private:
  void load_version(const std::string& model, int version, const std::filesystem::path& dir);
  void unload_version(const std::string& model, int version);
  std::optional<int> default_version(const std::string& model) const;

  std::filesystem::path root_;
  RepositoryOptions options_;
  Metrics& metrics_;
  std::mutex poll_mu_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<int, std::shared_ptr<LoadedVersion>>> loaded_;
  std::map<std::pair<std::string, int>, std::pair<std::string, std::filesystem::file_time_type>>
      failed_;                      // reason, model.h5's mtime
  std::set<std::string> unloaded_;  // models unloaded through the API
  std::map<std::string, std::map<int, int>> traffic_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace slipway::serve
