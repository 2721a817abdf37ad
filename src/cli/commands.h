// The `slipway` subcommands. Each takes the arguments after its name and returns the process
// exit code: 0 success, 1 a run that failed or was cancelled (or an operation that failed),
// 2 invalid input (nothing was run).
#pragma once

#include <string>
#include <vector>

namespace slipway::cli {

using Args = std::vector<std::string>;

int cmd_run(const Args& args);
int cmd_validate(const Args& args);
int cmd_compile(const Args& args);
int cmd_runs(const Args& args);
int cmd_artifacts(const Args& args);
int cmd_lineage(const Args& args);
int cmd_ml(const Args& args);
int cmd_topo(const Args& args);
int cmd_data(const Args& args);
int cmd_train(const Args& args);
int cmd_bench(const Args& args);
int cmd_sweep(const Args& args);
int cmd_launch(const Args& args);
int cmd_job_gang(const Args& args);  // hidden: the process of a training job's task
int cmd_serve(const Args& args);
int cmd_models(const Args& args);
int cmd_server(const Args& args);
// `run` and `runs` through a server's REST API (--server URL, SLIPWAY_SERVER).
int cmd_remote(const std::string& url, const std::string& token, const std::string& cmd,
               const Args& args);
int cmd_schedules(const Args& args);
int cmd_driver(const Args& args);  // internal: the detached driver of `run --detach`
int cmd_pyenv(const Args& args);   // internal: KFP Python components in a managed venv
int cmd_tee(const Args& args);     // internal: a Kubernetes task pod's command, logged twice
int cmd_await(const Args& args);   // internal: a compiled Kubernetes Job waiting for its upstreams
int cmd_kfp_volume(const Args& args);       // internal: kfp-kubernetes CreatePVC/DeletePVC
int cmd_import_artifact(const Args& args);  // internal: the step a KFP importer becomes

}  // namespace slipway::cli
