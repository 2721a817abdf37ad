// The backend interface: the engine hands each ready attempt to a backend as a TaskLaunch and
// learns how it ended from wait(). Local, Slurm and Kubernetes backends implement it; nothing
// outside a backend's folder knows how it runs things.
//
// Contract: one thread drives a backend (the engine's); launch() never blocks on the task;
// wait() returns completions in any order, at most once per launch.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "spec/pipeline_spec.h"

namespace slipway::backends {

struct TaskLaunch {
  std::string key;  // unique within a run: "task#attempt"
  std::string run_id;
  std::string task;
  int attempt = 1;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to the backend's inherited environment
  std::string workdir;
  std::string stdout_path, stderr_path;
  spec::Resources resources;
  std::int64_t timeout_ms = 0;     // the task's per-attempt timeout (the engine enforces it too)
  std::string image;               // the component's container image, "" when it names none
  std::vector<std::string> notes;  // the component's notes, for scripts a user reads
  // Fan-out items: the pipeline task they instantiate, their index, and the task's parallelism.
  // A backend that batches (Slurm job arrays) submits items of one group together and enforces
  // the parallelism itself.
  std::string group;
  int item_index = -1;
  int parallelism = 0;
  // kfp-kubernetes settings that a pod applies itself, for --backend k8s (other backends get
  // them applied on the host: mounts in argv, values in env). Names are resolved:
  //   {"volumes": [{"kind": "pvc"|"secret"|"configMap"|"emptyDir"|"ephemeral", "name",
  //                 "mountPath", "readOnly", "optional", ...}],
  //    "env": [{"name", "secret"|"configMap": NAME, "key", "optional"} | {"name", "fieldPath"}],
  //    "labels": {...}, "annotations": {...}}
  Json pod_settings;
};

// An attempt a dead driver left running: what a backend needs to find it again.
struct Adoptable {
  std::string key;         // "task#attempt"
  std::string backend_id;  // "" when the driver died before recording it
};

struct LaunchHandle {
  std::int64_t pid = 0;    // local process group leader, 0 when not local
  std::string backend_id;  // what the backend calls it (pid, Slurm job id, object name)
};

struct Completion {
  std::string key;
  int exit_code = -1;  // -1 when killed by a signal or never started
  int signal = 0;
  bool terminated = false;      // ended because terminate() was called
  bool timed_out = false;       // the backend enforced a time limit (Slurm TIMEOUT)
  bool infrastructure = false;  // node failure or preemption: retried without counting
  std::string message;          // why, in words
  std::int64_t finished_ms = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  // Can a task with these resources ever run here? An error says what is short.
  virtual Status check_fits(const spec::Resources& r) const = 0;
  // Are the resources free right now? (A cheap look; reserve() is what counts.)
  virtual bool has_room(const spec::Resources& r) const = 0;
  // Sets the resources aside for a launch that follows, when they are free right now. The engine
  // reserves while it decides (before its batch commits) and launches after, so two decisions
  // in one batch can never both count on the same free CPU.
  virtual bool reserve(const spec::Resources& r) = 0;
  // Launches on a reservation; a failed launch gives the reservation back.
  virtual Result<LaunchHandle> launch(const TaskLaunch& l) = 0;
  // Launches several at once; results in the same order. Backends that can batch override it.
  virtual std::vector<Result<LaunchHandle>> launch_many(const std::vector<TaskLaunch>& ls) {
    std::vector<Result<LaunchHandle>> out;
    for (const auto& l : ls) out.push_back(launch(l));
    return out;
  }
  // True when the backend enforces a fan-out's parallelism itself (job arrays), so the engine
  // hands it every ready item rather than `parallelism` at a time.
  virtual bool enforces_parallelism() const { return false; }
  // True when tasks run in pods that apply kfp-kubernetes settings themselves
  // (TaskLaunch::pod_settings); otherwise the engine applies them on the host.
  virtual bool runs_pods() const { return false; }
  // Blocks up to timeout_ms for at least one completion; returns all that are available.
  virtual std::vector<Completion> wait(std::int64_t timeout_ms) = 0;
  // Asks a launch to stop: SIGTERM now, SIGKILL after grace_ms if it is still there.
  virtual void terminate(const std::string& key, std::int64_t grace_ms) = 0;
  virtual size_t in_flight() const = 0;
  // Why attempts in flight are not running yet, by launch key, as of the last wait(): "" when
  // they run or nothing is known (a pod the scheduler cannot place, a Job queued for admission).
  // The engine shows it as the task's note. Backends that cannot tell return nothing.
  virtual std::map<std::string, std::string> waiting_reasons() const { return {}; }
  // The commands the run's components run (command then args, inputs not filled in), once before
  // the first launch, so a backend can get ready for them: the local backend's warm Python
  // executors learn what the steps of each environment import.
  virtual void expect_commands(const std::vector<std::vector<std::string>>& commands) {
    (void)commands;
  }
  // Counters worth keeping with the run (client calls, polls); recorded as a BACKEND_STATS event.
  virtual Json stats() const { return Json::object(); }

  // After a driver died: `running` are the attempts it had recorded as running. The backend
  // adopts those it can still follow (their completions then arrive through wait() under their
  // keys) and stops everything else it finds of the run, so nothing runs twice. With `running`
  // empty it stops all of the run's work (cancel without a driver). Returns the adopted keys.
  virtual Result<std::vector<std::string>> reattach(const std::string& run_id,
                                                    const std::vector<Adoptable>& running) = 0;
};

// For backends that poll a scheduler: sleeps until the next poll is due (last + interval) or
// timeout_ms has passed, whichever is first. True when a poll is due now; never due when idle.
bool sleep_until_poll_due(std::int64_t last_poll_ms, std::int64_t interval_ms,
                          std::int64_t timeout_ms, bool idle);

}  // namespace slipway::backends
