// `slipway compile FILE --backend slurm -o DIR`: the pipeline as plain sbatch scripts plus a
// submit.sh that chains them with --dependency=afterok, so it runs with no slipway process alive
// (some sites allow no long-lived process on login nodes).
//
// What needs a driver is refused with a clear error naming the task: `when` conditions, fan-outs
// over upstream outputs, and reading a task's status or {{run.status}}. Fan-outs over static
// lists become job arrays; upstream parameter outputs are read from their files when the job
// starts; finally tasks run with --dependency=afterany. Retries and caching are not available in
// this mode (a warning says so).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "backends/slurm/slurm_config.h"
#include "dag/static_plan.h"

namespace slipway::compile {

// `run_root` is where the jobs will write their outputs and logs (it must be on a filesystem
// every node sees); `self_exe` is what "slipway" in a command means.
Result<dag::CompiledPipeline> compile_for_slurm(const spec::PipelineSpec& spec,
                                                const std::map<std::string, Json>& params,
                                                const std::string& run_root,
                                                const std::string& self_exe,
                                                const backends::SlurmConfig& config);

}  // namespace slipway::compile
