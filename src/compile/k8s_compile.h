// `slipway compile FILE --backend k8s -o DIR`: the pipeline as Kubernetes manifests that run by
// themselves once applied (`kubectl apply -k DIR`, or committed for Argo CD or Flux), with no
// slipway process alive: one file of Jobs (or PyTorchJobs/MPIJobs) per task and a
// kustomization.yaml listing them. Each object is what the k8s backend would create for the
// task's first attempt, plus an init container that waits until the tasks it needs have ended
// (their exit files on the run root's volume) and fails when one of them failed. Upstream
// parameter outputs are read from their files when the pod starts.
//
// The same things need a driver as on Slurm (dag/static_plan.h): `when`, fan-outs over upstream
// outputs, reading a task's status. Retries, caching and fan-out parallelism are not available
// in this mode (a warning says so).
#pragma once

#include <map>
#include <string>

#include "backends/k8s/k8s_config.h"
#include "dag/static_plan.h"

namespace slipway::compile {

// `run_root` is where the pods write outputs and logs: the run root volume's mount path.
Result<dag::CompiledPipeline> compile_for_k8s(const spec::PipelineSpec& spec,
                                              const std::map<std::string, Json>& params,
                                              const std::string& run_root,
                                              const std::string& self_exe,
                                              backends::K8sConfig config);

}  // namespace slipway::compile
