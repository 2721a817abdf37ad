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
  // One instance of a task. A task outside loops has one; a task in loops has a tree of them:
  // its top node (the whole fan-out, what readers outside the loops see), a group node per
  // iteration of each enclosing loop, and a leaf per iteration of its innermost loop, which is
  // what runs. A group's outputs are the lists of its children's outputs.
  struct Node {
    int idx = 0;
    std::string name;  // task, then [i] per loop level: "train[2][0]"
    const spec::Task* task = nullptr;
    const spec::Component* comp = nullptr;
    int group = -1;         // the parent instance; -1 for the top node
    int top = 0;            // the top node of this task
    std::vector<int> path;  // iteration index at each loop level above this node
    int item_index = -1;    // path.back()
    // The items of the loops this node is inside, by loop id.
    std::map<std::string, Json> loop_items;
    TaskState state = TaskState::kPending;
    bool cached = false;
    bool is_group = false;
    bool expanded = false;  // a group whose children exist
    bool checked = false;   // passed its upstream and condition checks (then waits admission)
    int attempts = 0, failures = 0, free_retries = 0;
    int unmet = 0;
    // Upstream tasks whose instance at this node's path it waits for: those that share exactly
    // this node's loops (the ancestors waited for the rest).
    std::vector<const spec::Task*> awaited;
    std::int64_t started_ms = 0, finished_ms = 0, ready_at_ms = 0, deadline_ms = 0;
    bool timed_out = false;
    std::string cache_key, message, launch_key;
    bool inputs_ready = false;
    std::map<std::string, Json> inputs;
    spec::Resources resources;  // the task's, with those known only at run time filled in
    Json outputs = Json::object();
    store::AttemptRecord attempt;
    std::vector<int> items;  // children of a group, in item order
    int items_done = 0;
  };

  // One loop's iterations inside one iteration of its enclosing loops, shared by the tasks of
  // the loop: its items and which iterations may run (parallelism counts iterations, each with
  // all its tasks, as KFP's parallelismLimit does).
  struct LoopRun {
    bool resolved = false;
    Json items;
    int limit = 0;          // 0: every iteration at once
    int tasks = 0;          // tasks of the loop, each with one node per iteration
    int closed = 0;         // tasks whose group here ended without creating its iterations
    int next = 0;           // the next iteration to admit
    int backend_limit = 0;  // the limit a backend that enforces parallelism keeps instead
    bool admitting = false;
    int active = 0;                        // admitted iterations with tasks not yet ended
    std::vector<int> remaining;            // per iteration: tasks whose node there has not ended
    std::vector<char> admitted;            // per iteration
    std::vector<std::vector<int>> parked;  // per iteration: nodes waiting for admission
  };

  Status prepare();
  int add_node(const spec::Task* t, int group, std::vector<int> path,
               std::map<std::string, Json> loop_items, const std::string& name);
  void restore(Node& n);
  // Registers what the node waits for; evaluates it when nothing is left.
  void wait_for_upstream(int idx);
  void notify_waiters(const Node& finished);
  // State of the instance of `task` at `path` (a prefix of the reader's), whether or not its
  // node exists: an ancestor that ended without creating its children passes on its state.
  TaskState instance_state(const spec::Task& task, const std::vector<int>& path) const;
  // "task[i][j]": the name of a task's instance at an iteration path.
  static std::string instance_name(const std::string& task, const std::vector<int>& path);
  size_t common_depth(const spec::Task& a, const spec::Task& b) const;
  Result<Json> instance_outputs(const spec::Task& task, const std::vector<int>& path) const;
  void evaluate(int idx);
  bool admitted(Node& n);
  LoopRun& loop_run(const Node& group);
  void admit(LoopRun& lr);
  void iteration_ended(const Node& parent, int item_index);
  void close_unexpanded(const Node& group);
  void expand(Node& n);
  void close_group(Node& g);
  void start_ready(std::vector<backends::TaskLaunch>* launches);
  bool try_start(Node& n, std::vector<backends::TaskLaunch>* launches);
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
  std::map<std::string, std::vector<spec::LoopLevel>> chains_;  // task -> its loops
  std::map<std::string, std::vector<int>> waiters_;  // instance name -> nodes waiting for it
  std::map<std::string, LoopRun> loops_;             // loop id + iteration path of its outer loops
  std::map<std::string, int> loop_tasks_;            // loop id -> how many tasks iterate in it
  std::map<std::string, std::vector<const spec::Task*>> upstream_;  // task -> tasks it waits for
  std::map<std::string, size_t> when_depth_;  // task -> loop depth its condition is decided at
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
