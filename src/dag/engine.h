// The engine: drives one run of a PipelineSpec to a terminal state on one backend.
//
// Event-driven: a task is examined when something it waits for changes (a dependency finished,
// a retry delay ran out, resources were freed); there are no rescans of all tasks. Write-ahead:
// each loop turn persists every transition it decided in one store batch and only then acts on
// them (launches, kills), so a driver killed at any moment is resumed from the store without
// re-running succeeded tasks. Not thread-safe, except request_cancel(), which a signal handler
// may call.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "dag/resolve.h"
#include "dag/task_state.h"
#include "spec/pipeline_spec.h"
#include "store/store.h"

namespace slipway::dag {

// Records that `task` of `run` consumed the artifact(s) in `v` as input `name`.
Status add_input_lineage(store::Store& store, const std::string& run, const std::string& task,
                         const std::string& name, const Json& v);

struct EngineOptions {
  bool no_cache = false;
  bool rerun_failed = false;          // `runs retry`: failed tasks run again
  std::int64_t kill_grace_ms = 5000;  // SIGTERM -> SIGKILL
  std::int64_t heartbeat_ms = 1000;
  std::int64_t cancel_poll_ms = 250;  // how often to look for `runs cancel` from elsewhere
  std::string self_exe;               // what "slipway" in a command means
  std::string container_runtime;      // "apptainer" or "singularity": run steps inside their image
  std::function<void()> on_tick;      // after each loop turn, for progress displays
};

struct TaskView {
  std::string name;
  TaskState state = TaskState::kPending;
  int attempts = 0;
  bool cached = false;
  bool is_group = false;
  int items_done = 0, items_total = 0;
  std::int64_t started_ms = 0, finished_ms = 0;
  std::string message;
};

class Engine {
 public:
  Engine(store::Store& store, backends::Backend& backend, const spec::PipelineSpec& spec,
         store::RunRecord run, EngineOptions opts);

  // Runs to the end and returns the run's final state: SUCCEEDED, FAILED or CANCELLED.
  Result<std::string> run();
  void request_cancel() { cancel_flag_.store(true); }
  std::vector<TaskView> snapshot() const;
  const std::string& run_id() const { return run_.id; }

 private:
  struct Node {
    int idx = 0;
    std::string name;
    const spec::Task* task = nullptr;
    const spec::Component* comp = nullptr;
    int group = -1;  // the fan-out node this item belongs to
    int item_index = -1;
    Json item;
    TaskState state = TaskState::kPending;
    bool cached = false;
    bool is_group = false;
    int attempts = 0, failures = 0, free_retries = 0;
    int unmet = 0;
    std::vector<int> deps, dependents;
    std::int64_t started_ms = 0, finished_ms = 0, ready_at_ms = 0, deadline_ms = 0;
    bool timed_out = false;
    std::string cache_key, message, launch_key;
    bool inputs_ready = false;
    std::map<std::string, Json> inputs;
    spec::Resources resources;  // the task's, with those known only at run time filled in
    Json outputs = Json::object();
    store::AttemptRecord attempt;
    // fan-out bookkeeping
    std::vector<int> items;
    std::deque<int> items_waiting;
    int items_running = 0, items_done = 0;
  };

  Status prepare();
  int add_node(const spec::Task* t, int group, int item_index, Json item, const std::string& name);
  void restore(Node& n);
  void evaluate(int idx);
  void expand(Node& n);
  void start_ready(std::vector<backends::TaskLaunch>* launches);
  bool try_start(Node& n, std::vector<backends::TaskLaunch>* launches);
  // For an item of a loop: false when it was finished here (skipped by its own condition, or
  // because the same iteration of a task it reads was skipped or failed).
  bool iteration_may_run(Node& n);
  // The node of `task` whose output `reader` sees: for tasks of one loop, the same iteration.
  TaskState item_state(const Node& group, int item_index) const;
  static bool in_same_loop(const Node& reader, const Node& up);
  bool condition_per_item(const spec::Task& t) const;
  void handle_completion(const backends::Completion& c);
  Status collect_outputs(Node& n, const CommandLine& cl);
  void finish(Node& n, TaskState s, const std::string& message = "");
  void cancel_everything();
  void persist(const Node& n);
  void event(const Node& n, const std::string& kind, const std::string& detail = "");
  // Keeps the first store failure of the batch being built. Writes inside a batch do not return
  // early (the decision code is not written for it); instead the batch is rolled back at its
  // commit point and nothing it decided is acted on.
  void note(Status s);
  // note(s), and s back: for store writes inside a step that also fails on its own errors.
  Status noted(Status s) {
    note(s);
    return s;
  }
  // The error run() returns when a store write failed: the run stays RUNNING, resumable.
  Status store_failure(const Status& s) const;
  ResolveContext context_for(const Node& n);
  Result<Json> import_artifact(const std::string& path, const std::string& type);
  std::string task_dir(const Node& n) const;
  std::string final_state() const;
  std::int64_t next_wake(std::int64_t now) const;

  store::Store& store_;
  backends::Backend& backend_;
  const spec::PipelineSpec& spec_;
  store::RunRecord run_;
  EngineOptions opts_;
  std::deque<Node> nodes_;
  std::map<std::string, int> by_name_;
  std::map<std::string, int> by_key_;
  std::map<std::string, store::TaskRecord> persisted_;
  std::deque<int> ready_;
  std::vector<int> delayed_;
  std::vector<backends::Completion> synthetic_;
  std::vector<int> pid_updates_;
  std::vector<std::string> kills_;  // launch keys to terminate once the batch has committed
  FirstError batch_error_;          // the first store write of this batch that failed
  std::map<std::string, CommandLine> commands_;  // launch key -> rendered command
  std::map<std::string, store::AttemptRecord>
      adopted_;                         // task name -> attempt the backend re-attached
  std::map<std::string, Json> params_;  // the run's parameters, parsed once
  std::set<std::pair<std::int64_t, int>> deadlines_;  // (deadline, node) of running attempts
  int terminal_ = 0;
  int failed_ = 0;  // FAILED or UPSTREAM_FAILED nodes
  int running_ = 0;
  bool cancelling_ = false;
  std::atomic<bool> cancel_flag_{false};
  std::int64_t last_heartbeat_ = 0, last_cancel_poll_ = 0;
};

}  // namespace slipway::dag
