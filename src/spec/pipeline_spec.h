// PipelineSpec: the one internal model every front door (native YAML, KFP IR) produces and the
// planner, engine and backends consume. Nothing here knows which file format it came from,
// except `format`, kept for messages and the run document.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/expr.h"
#include "spec/placeholder.h"
#include "spec/types.h"

namespace slipway::spec {

struct SourceLoc {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  std::string to_string() const;
};

// A pipeline parameter, or a component input or output.
struct IoDecl {
  std::string name;
  TypeRef type;
  std::optional<Json> default_value;  // parameters only
  bool optional = false;
  std::string description;
  SourceLoc loc;
};

struct Component {
  std::string name;
  std::vector<std::string> command;  // "slipway" as argv[0] means this slipway executable
  std::vector<std::string> args;
  std::string image;  // recorded; the local backend runs on the host
  std::map<std::string, std::string> env;
  std::vector<IoDecl> inputs;
  std::vector<IoDecl> outputs;
  // What the command does, in lines a compiled script shows above it (a training job's replicas
  // and the srun steps that start them); "" for most components.
  std::vector<std::string> notes;
  SourceLoc loc;

  const IoDecl* input(const std::string& n) const;
  const IoDecl* output(const std::string& n) const;
};

// What a task input receives: a literal, or a template with placeholders. A template that is one
// whole placeholder passes its value typed (and artifacts by reference).
struct Binding {
  Json literal;  // when !is_template
  bool is_template = false;
  std::string text;  // the template text as written
  Template tmpl;
  SourceLoc loc;
};

struct RetryPolicy {
  int limit = 0;                   // extra attempts after the first
  std::int64_t backoff_ms = 1000;  // delay before the first retry
  double factor = 2.0;             // each later delay multiplies by this
  std::int64_t max_backoff_ms = 3'600'000;

  // Delay before attempt `next_attempt` (2 = first retry).
  std::int64_t delay_before(int next_attempt) const;
};

struct Resources {
  std::int64_t millicpus = 1000;
  std::int64_t memory_bytes = 0;  // 0: not declared
  int gpus = 0;
  int nodes = 1;
  int tasks_per_node = 1;
  std::int64_t time_limit_ms = 0;  // a scheduler limit (Slurm --time); 0: none
  std::string partition, account, qos, constraint;
  // Kubernetes placement of this task, on top of the k8s backend's defaults: nodeSelector
  // labels (merged, the task's win), tolerations and affinity (the task's replace the default's),
  // and how a multi-rank task is run ("pytorchjob" or "mpijob"; "" means the backend's default).
  std::map<std::string, std::string> k8s_node_selector;
  Json k8s_tolerations;  // null or a list of Toleration objects
  Json k8s_affinity;     // null or an Affinity object
  std::string k8s_distributed;
  // A training job's task (`slipway job-gang`): the replicas it starts itself, one per node on a
  // cluster, all on the one node of the local backend. millicpus, memory_bytes and gpus are then
  // one replica's (the largest); nodes and tasks_per_node stay 1, as the task is one process.
  int job_replicas = 0;
  // An elastic job (a PyTorchJob's elasticPolicy): the fewest replicas it runs with; a cluster
  // may then give it between job_min_replicas and job_replicas nodes. 0: exactly job_replicas.
  int job_min_replicas = 0;

  // Processes that hold these resources at once: the ranks, or a training job's replicas.
  std::int64_t processes() const {
    return static_cast<std::int64_t>(nodes) * tasks_per_node *
           (job_replicas > 0 ? job_replicas : 1);
  }
};

// Sets one resource from text as pipelines write it: "cpu" (cores or millicores: "2", "500m"),
// "memory" ("4G", "512Mi") or "gpus" (a whole number from 0 to 1024).
Status set_resource(Resources* r, const std::string& what, const std::string& text);

// One loop (a ParallelFor) a task iterates in. Tasks naming the same loop id pair up item by
// item: inside the loop, a read of another task of it means that task's instance of the same
// iteration.
struct LoopLevel {
  std::string id;
  Binding items;
  int parallelism = 0;  // iterations of the loop at once; 0: no limit beyond resources
  SourceLoc loc;
};

struct Task {
  std::string name;
  std::string component;
  std::map<std::string, Binding> inputs;
  std::vector<std::string> after;  // explicit ordering on top of data dependencies
  std::optional<Expr> when;
  std::optional<Binding> for_each;  // fan-out over a list
  int parallelism = 0;              // 0: no limit beyond resources
  // Tasks naming the same loop iterate over the same items, and a read of another task of the
  // loop means that task's output of the same iteration, not the list of all of them.
  std::string loop;
  // The loops around the innermost one (for_each/loop/parallelism), outermost first: nested
  // ParallelFor. Empty for a task in one loop or none.
  std::vector<LoopLevel> outer_loops;
  RetryPolicy retry;
  std::int64_t timeout_ms = 0;  // per attempt; 0: none
  bool cache = true;
  std::string cache_key;  // replaces the content key when set (KFP's cacheKey)
  Resources resources;
  bool is_finally = false;  // exit handler: runs once all other tasks are done
  // KFP's ignore_upstream_failure(): the task runs once its upstream tasks have ended, whatever
  // their outcome; an input whose producer did not succeed takes the input's default.
  bool ignore_upstream_failure = false;
  // Resources known only at run time (KFP's set_cpu_limit(task.output) and the like): "cpu",
  // "memory" or "gpus" to a binding, resolved with the inputs; they replace `resources` fields.
  std::map<std::string, Binding> resource_inputs;
  // kfp-kubernetes settings of the task (volumes, secrets, config maps), kept as the platform
  // spec writes them; see dag/platform.h for what each backend makes of them.
  Json kubernetes;
  SourceLoc loc;
  SourceLoc when_loc, for_each_loc;
};

// Every loop a task iterates in, outermost first: outer_loops, then its own for_each (whose id
// is `loop`, or one of the task's own when it names none). Empty for a task without for_each.
std::vector<LoopLevel> loop_chain(const Task& t);
// How many loops, from the outermost, two tasks share: the depth at which one reads the other's
// instance of the same iteration.
size_t common_loop_depth(const Task& a, const Task& b);

struct PipelineSpec {
  std::string name;
  std::string description;
  std::string format = "native";  // or "kfp"
  std::string source_file;
  std::string base_dir;  // relative artifact paths in literals resolve against this
  std::vector<IoDecl> params;
  std::map<std::string, Component> components;
  std::vector<Task> tasks;  // in file order; finally tasks flagged

  const IoDecl* param(const std::string& n) const;
  const Task* task(const std::string& n) const;
  const Component* component_of(const Task& t) const;
};

}  // namespace slipway::spec
