// The Kubernetes backend: each attempt is one object (Job, PyTorchJob or MPIJob, manifests.h)
// created with `kubectl apply`; the state of all of a run's objects and their pods comes from one
// `kubectl get -l slipway.dev/run=... -o json` per poll interval, never one call per task.
// Objects carry the run and launch key, so a resumed driver finds its attempts again and adopts
// them instead of running them twice. kubectl's own words are passed on when it refuses.
//
// Not thread-safe; the engine's thread owns it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/k8s/k8s_config.h"
#include "backends/k8s/k8s_state.h"
#include "core/subprocess.h"

namespace slipway::backends {

class K8sBackend : public Backend {
 public:
  K8sBackend(K8sConfig config, std::string self_exe);

  std::string name() const override { return "k8s"; }
  bool runs_pods() const override { return true; }
  Status check_fits(const spec::Resources& r) const override;
  bool has_room(const spec::Resources& r) const override;
  bool reserve(const spec::Resources& r) override;
  Result<LaunchHandle> launch(const TaskLaunch& l) override;
  // Many objects per `kubectl apply`.
  std::vector<Result<LaunchHandle>> launch_many(const std::vector<TaskLaunch>& ls) override;
  std::vector<Completion> wait(std::int64_t timeout_ms) override;
  void terminate(const std::string& key, std::int64_t grace_ms) override;
  size_t in_flight() const override { return objects_.size() + settled_.size(); }
  std::map<std::string, std::string> waiting_reasons() const override { return waiting_; }
  Result<std::vector<std::string>> reattach(const std::string& run_id,
                                            const std::vector<Adoptable>& running) override;
  // Client calls by verb and poll ticks: `get` calls never exceed polls (+1 per re-attach kind).
  Json stats() const override;

 private:
  struct Tracked {
    std::string key, kind, stderr_path;
    bool terminating = false;
    std::string stdout_path;  // set when the pod runs in a component's image (no __tee):
                              // its log is fetched into this file when it ends
  };
  struct Prepared {
    std::string name, path;  // the object's name, its manifest file
    Tracked tracked;
  };
  // Renders the attempt's object and writes its manifest; `track` starts following it once applied.
  Result<Prepared> prepare(const TaskLaunch& l);
  LaunchHandle track(const TaskLaunch& l, const Prepared& p);
  // kfp-kubernetes' CreatePVC and DeletePVC steps: a real claim made or deleted with kubectl
  // here, the step then done at once (its completion comes with the next wait). Nullopt when
  // the launch is not such a step.
  std::optional<Result<LaunchHandle>> run_volume_step(const TaskLaunch& l);
  Result<CommandResult> kubectl(const std::vector<std::string>& args,
                                const std::string& stdin_text = "");
  // One list of the run's objects and pods; the kinds are those in flight.
  Result<std::map<std::string, K8sAttemptState>> list(const std::set<std::string>& kinds);
  void remove(const std::string& name, const Tracked& t, std::int64_t grace_ms);
  // Puts the pod's own log into the task's stderr file when the pod died before writing there,
  // or into its stdout file when it ran in a component's image.
  void keep_pod_log(const std::string& name, const Tracked& t, bool succeeded);

  K8sConfig config_;
  std::string self_exe_;
  std::string run_label_;
  std::map<std::string, Tracked> objects_;     // object name -> attempt
  std::vector<Completion> settled_;            // volume steps done by the backend, not yet reported
  std::map<std::string, std::string> by_key_;  // launch key -> object name
  std::map<std::string, std::string> waiting_;          // launch key -> why it is not running yet
  std::map<std::string, std::int64_t> hopeless_since_;  // launch key -> first seen unable to start
  int reserved_ = 0;
  std::int64_t last_poll_ms_ = 0;
  std::map<std::string, int> calls_;
  int polls_ = 0, failed_polls_ = 0;
  std::string last_error_;
};

}  // namespace slipway::backends
