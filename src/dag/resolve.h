// Resolution of one task instance: its input values, its command line, and its cache key.
// Pure functions of a ResolveContext, so they are tested without a store or a backend.
//
// Values: a parameter is its JSON value. An artifact is an object
//   {"artifact": true, "id": N, "type": "Dataset", "uri": "/abs/path", "sha256": "..."}
// and a fan-in of artifacts is a JSON array of those.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "spec/pipeline_spec.h"

namespace slipway::dag {

struct ResolveContext {
  const spec::PipelineSpec* spec = nullptr;
  const std::map<std::string, Json>* params = nullptr;
  const Json* item = nullptr;  // null unless a fan-out item
  // The items of the loops around this instance, by loop id ({{loops.ID.item}}).
  const std::map<std::string, Json>* loop_items = nullptr;
  int item_index = -1;
  std::string run_id, run_root, run_status, task_name;
  int attempt = 1;
  // The outputs of an upstream task (a list for a fan-out), or an error.
  std::function<Result<Json>(const std::string& task, const std::string& output)> task_output;
  std::function<std::string(const std::string& task)> task_status;
  // Records a file or directory given by path as an artifact of the given type.
  std::function<Result<Json>(const std::string& path, const std::string& type)> import_artifact;
};

bool is_artifact_value(const Json& v);

// A value known only when the job runs (an upstream parameter output, in `slipway compile`): a
// marker naming the file that will hold it. It passes through resolution untyped, and the
// compiler turns it into "$(cat FILE)" in the job script.
Json deferred_file_value(const std::string& path);
bool is_deferred(const Json& v);
inline constexpr char kDeferredMark = '\x01';

// Value of one reference in a binding or condition.
Result<Json> resolve_ref(const ResolveContext& ctx, const spec::Ref& ref);

// Values for every input of the task's component: bindings, then defaults; optional inputs
// without either are null.
Result<std::map<std::string, Json>> resolve_inputs(const ResolveContext& ctx,
                                                   const spec::Task& task,
                                                   const spec::Component& comp);

// Fills the resources a task sets from values known only at run time (spec::Task::
// resource_inputs): "cpu" (cores or millicores, "500m"), "memory" ("4G", "512Mi") and "gpus".
Status apply_resource_inputs(const ResolveContext& ctx, const spec::Task& task,
                             spec::Resources* res);

// A text with placeholders ({{params.x}}, {{tasks.a.outputs.y}}) resolved; a text that is one
// placeholder keeps the value's type.
Result<Json> resolve_template_text(const ResolveContext& ctx, const std::string& text);

// The items of a fan-out.
Result<Json> resolve_for_each(const ResolveContext& ctx, const spec::Task& task);
// The items of one loop `task` iterates in (its own, or one around it).
Result<Json> resolve_loop_items(const ResolveContext& ctx, const spec::Task& task,
                                const spec::Binding& items_binding);

struct CommandLine {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> output_paths;  // output name -> where the task writes it
};

// Renders the component's command, args and env with inputs and output paths filled in.
// "slipway" as argv[0] becomes `self_exe`.
Result<CommandLine> render_command(const ResolveContext& ctx, const spec::Component& comp,
                                   const std::map<std::string, Json>& inputs,
                                   const std::string& outputs_dir, const std::string& self_exe);

// Every rank of a multi-rank task (nodes × tasks_per_node > 1) starts through `slipway launch`:
// placement, binding and rendezvous variables, the same on every backend (srun starts the ranks
// on Slurm; locally the launcher starts them itself). Prepends the launcher to such a command.
void wrap_multi_rank(const spec::Resources& res, const std::string& self_exe,
                     std::vector<std::string>* argv);

// Where a KFP Python component writes its executor output (values and artifact metadata).
std::string executor_output_path(const std::string& outputs_dir);

// Kubeflow Pipelines' ExecutorInput JSON for {{executor.input}}.
Json executor_input(const spec::Component& comp, const std::map<std::string, Json>& inputs,
                    const std::map<std::string, std::string>& output_paths,
                    const std::string& output_file);

// The content-addressed cache key: component (command, args, image, env, output names and
// types), input parameter values and input artifact digests. Never paths of this run.
// A user key (KFP's cachingOptions.cacheKey) replaces command and inputs in it.
std::string cache_key(const spec::Component& comp, const std::map<std::string, Json>& inputs,
                      const std::string& user_key = "");

}  // namespace slipway::dag
