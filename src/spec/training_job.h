// Kubeflow training job files, read as they are: the Training Operator's PyTorchJob, TFJob,
// XGBoostJob, PaddleJob, JAXJob and MPIJob (kubeflow.org/v1) and the MPI Operator's MPIJob
// (kubeflow.org/v2beta1). A job is a set of replica groups (Master, Worker, PS...), each a pod
// template run `replicas` times at once; its operator gives every replica the variables of its
// framework (jobs/operator_env.h).
//
// A job becomes a pipeline of one task that starts every replica together (`slipway job-gang`),
// so it is recorded, retried, cancelled, resumed and shown like any run. Every field is honoured,
// named in a warning, or refused with FILE:LINE and the reason (docs/jobs.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "spec/diagnostics.h"
#include "spec/native_parser.h"
#include "spec/pipeline_spec.h"

namespace slipway::spec {

// The one container of a replica that slipway runs: the framework's (named as its operator
// expects, "pytorch", "tensorflow"...) or the pod's only one.
struct JobContainer {
  std::string name, image;
  std::vector<std::string> command, args;  // Kubernetes' $(VAR) references kept as written
  std::vector<std::pair<std::string, std::string>> env;  // literal values, in file order
  // env valueFrom fieldRef: variable -> field path (status.podIP, metadata.name...), filled in for
  // each replica when it starts.
  std::vector<std::pair<std::string, std::string>> env_fields;
  std::string working_dir;
  std::vector<std::pair<std::string, int>> ports;  // name -> containerPort
  std::int64_t millicpus = 0;                      // limits, else requests; 0: not set
  std::int64_t memory_bytes = 0;
  int gpus = 0;  // nvidia.com/gpu
};

struct ReplicaGroup {
  std::string type;  // the operator's spelling: Master, Worker, Chief, PS, Evaluator, Launcher
  int replicas = 1;
  std::string restart_policy;  // Never, OnFailure, Always, ExitCode
  JobContainer container;
  SourceLoc loc;
};

struct ElasticPolicy {
  int min_replicas = 0, max_replicas = 0;
  std::string rdzv_backend = "c10d", rdzv_host, rdzv_id, rdzv_conf;
  int rdzv_port = 0;  // 0: the Worker's port
  std::optional<int> max_restarts, nproc_per_node;
  bool standalone = false;
};

struct TrainingJob {
  std::string kind;  // PyTorchJob, TFJob, XGBoostJob, PaddleJob, JAXJob, MPIJob, TrainJob
  std::string api_version, name, namespace_ = "default";
  std::vector<ReplicaGroup> groups;  // in the order their ranks are numbered
  // PyTorchJob
  std::optional<std::string> nproc_per_node;  // as written ("auto", "2"); absent: the default
  std::optional<ElasticPolicy> elastic;
  // TFJob
  bool enable_dynamic_worker = false;
  std::string success_policy;  // "" (chief, else worker 0) or AllWorkers
  // MPIJob
  int slots_per_worker = 1;
  std::string mpi_implementation = "OpenMPI";  // OpenMPI, Intel, MPICH
  // runPolicy
  std::optional<int> backoff_limit;
  std::int64_t active_deadline_seconds = 0;
  std::string clean_pod_policy = "None";  // None (every operator's default), Running or All
  SourceLoc loc;

  const ReplicaGroup* group(const std::string& type) const;
  int total_replicas() const;
};

// Whether the text is a training job (its kind and apiVersion), before it is read.
bool looks_like_training_job(const std::string& text);

// Reads the job; errors and warnings go to `d`, each at its line.
// A TrainJob's runtime comes from the same file, from `runtime_files` (`--runtime`), or from the
// YAML files beside it.
// `runtime_text`, when given, receives the runtime as a YAML document when it came from another
// file.
std::optional<TrainingJob> read_training_job(const std::string& text, const std::string& file,
                                             Diagnostics* d,
                                             const std::vector<std::string>& runtime_files = {},
                                             std::string* runtime_text = nullptr);

// The job as the one-task pipeline `slipway run` runs (its replicas started by `slipway
// job-gang`, which reads the job back from the task's environment).
ParseOutcome parse_training_job(const std::string& text, const std::string& file,
                                const std::string& base_dir,
                                const std::vector<std::string>& runtime_files = {});

Json training_job_to_json(const TrainingJob& job);
Result<TrainingJob> training_job_from_json(const Json& j);

}  // namespace slipway::spec
