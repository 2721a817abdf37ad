// The Kubernetes objects of a task attempt and of a serving deploy, as JSON documents: pure
// functions of the launch and the backend config, so every mapping is unit-tested and every
// object is checked against the official schemas without a cluster.
//
//   one rank, or one node        -> batch/v1 Job (backoffLimit 0: slipway owns retries;
//                                   activeDeadlineSeconds from the task's timeout or time limit;
//                                   preemption and node drains are retried by the Job itself
//                                   through a podFailurePolicy on DisruptionTarget)
//   nodes > 1                    -> kubeflow.org/v1 PyTorchJob (Master + Workers, nprocPerNode)
//                                   or kubeflow.org/v2beta1 MPIJob (Launcher running mpirun,
//                                   Workers), per task or the config's `distributed`
//   `slipway models deploy`      -> serving.kserve.io/v1beta1 InferenceService whose custom
//                                   predictor runs `slipway serve`
//
// cpus -> requests.cpu (per rank, times the node's ranks); memory -> requests and limits memory
// (per node); gpus -> limits nvidia.com/gpu (per rank, times the node's ranks). Every object and
// pod carries the run and task labels by which one `kubectl get -l` finds all of a run's work,
// and annotations with the exact run id and launch key, which labels cannot always hold.
#pragma once

#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/k8s/k8s_config.h"

namespace slipway::backends {

inline constexpr const char* kK8sRunLabel = "slipway.dev/run";
inline constexpr const char* kK8sTaskLabel = "slipway.dev/task";
inline constexpr const char* kK8sAttemptLabel = "slipway.dev/attempt";
inline constexpr const char* kK8sRunAnnotation = "slipway.dev/run-id";
inline constexpr const char* kK8sKeyAnnotation = "slipway.dev/launch-key";
// Where the attempt's log files are, and whether its output must be fetched with `kubectl logs`
// (a pod in a component's image): what a resumed driver needs to finish the attempt's logs.
inline constexpr const char* kK8sStdoutAnnotation = "slipway.dev/stdout";
inline constexpr const char* kK8sStderrAnnotation = "slipway.dev/stderr";
inline constexpr const char* kK8sLogsViaKubectlAnnotation = "slipway.dev/logs-via-kubectl";
// The task's variable that holds a training job file's own document (spec/training_job.h sets
// it): that object is applied instead of one slipway renders.
inline constexpr const char* kK8sJobManifestEnv = "SLIPWAY_JOB_MANIFEST";

// A label value standing for `s`: `s` itself when it is a valid label value, else a readable
// prefix and a digest, so two different ids never share a value.
std::string k8s_label_value(const std::string& s);

// The object name of an attempt: a DNS-1123 label short enough for the pods' host names
// ("<name>-worker-12"), unique per run and launch key.
std::string k8s_object_name(const std::string& run_id, const std::string& key);

// The kind a launch becomes: "Job", "PyTorchJob" or "MPIJob".
std::string k8s_kind_for(const TaskLaunch& l, const K8sConfig& c);

// What a compiled Job (no driver) adds: its exit status in a file, and an init container that
// waits for the exit files of the tasks it needs.
struct DriverlessExtras {
  std::string exit_file;
  std::vector<std::string> mkdirs;
  std::vector<std::string> await_exit_files;
  bool await_any_outcome = false;  // a finally task runs whatever its upstreams did
};

// The argv a one-node task runs in its component's own image: without the host's managed Python
// environment (`slipway __pyenv --`). Empty when it runs in slipway's image instead: the config
// says so, the component names no image, the task spans nodes, or its command runs slipway
// (which a foreign image does not hold). Such a pod's output reaches the run's log files through
// `kubectl logs` when it ends, since `slipway __tee` is not there to copy it live.
std::vector<std::string> k8s_component_image_argv(const TaskLaunch& l, const K8sConfig& c,
                                                  const std::string& self_exe);

// The object of one attempt. `self_exe` is slipway's path inside the image (the driver's own
// path: the image must hold slipway where the driver has it). An error says what the config
// lacks (the run root's volume).
Result<Json> render_task_object(const TaskLaunch& l, const K8sConfig& c,
                                const std::string& self_exe, const DriverlessExtras& x = {});

struct ServingDeploy {
  std::string name;        // the InferenceService's name (a DNS-1123 label)
  std::string model_repo;  // the repository `slipway serve` reads, on the run root's volume
  std::string model;       // the registered model it is for (a label)
  int version = 0;         // the version it serves (an annotation; 0: the production one)
  int min_replicas = 1, max_replicas = 1;
  int canary_percent = -1;  // -1: no canary rollout
  std::int64_t millicpus = 1000, memory_bytes = 1LL << 30;
  int gpus = 0;
};

Result<Json> render_inference_service(const ServingDeploy& d, const K8sConfig& c,
                                      const std::string& self_exe);

// "1500m", "2": a cpu quantity.
std::string k8s_cpu_quantity(std::int64_t millicpus);

}  // namespace slipway::backends
