// The launches of a pipeline known before it runs: what `slipway compile` writes for a scheduler
// to run with no slipway driver alive (Slurm's sbatch chain, Kubernetes Jobs that wait for their
// upstreams). Parameter outputs of upstream tasks are not known yet: they appear in argv as
// deferred markers (dag/resolve.h) that the compiled job reads from their files when it starts.
//
// What needs a driver is refused with an error naming the task: `when` conditions, fan-outs over
// upstream outputs, collecting parameters of a fan-out, reading a task's status or
// {{run.status}}. Retries are not available (a warning says so).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "spec/pipeline_spec.h"

namespace slipway::dag {

struct StaticTask {
  const spec::Task* task = nullptr;
  std::vector<backends::TaskLaunch> launches;  // one, or one per fan-out item
  std::vector<std::string> after;              // tasks it needs (all main tasks for a finally task)
};

struct StaticPlan {
  std::vector<StaticTask> tasks;  // dependencies first, finally tasks last
  std::vector<std::string> warnings;
};

// What a compiler writes: file name in the output folder -> contents.
struct CompiledPipeline {
  std::map<std::string, std::string> files;
  std::vector<std::string> warnings;
};

// `backend` names the backend in the refusal ("run it with `slipway run --backend slurm`").
Result<StaticPlan> plan_static_launches(const spec::PipelineSpec& spec,
                                        const std::map<std::string, Json>& params,
                                        const std::string& run_root, const std::string& self_exe,
                                        const std::string& backend);

// Replaces each deferred marker in `s` with what `reader(path)` makes of its file's path.
std::string replace_deferred(const std::string& s,
                             const std::function<std::string(const std::string&)>& reader);

}  // namespace slipway::dag
