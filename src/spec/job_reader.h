// The reading of training job files, in three parts: the operators' kinds
// (training_job_reader.cc), their replicas' pods and containers (job_pod_reader.cc), and Kubeflow
// Trainer's TrainJobs with their runtimes (train_job_reader.cc). Internal to the spec component.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "spec/diagnostics.h"
#include "spec/training_job.h"

namespace slipway::spec::job_reader {

// What differs between the operators: the key of the replica specs, the replica types in rank
// order, the framework's container name and its default port (kubeflow.org/v1 *_types.go).
struct Operator {
  std::string kind, specs_key, container, port_name;
  int default_port = 0;
  std::vector<std::string> types;
  std::vector<std::string> spec_keys;  // spec fields of this kind besides runPolicy and the specs
};

const Operator* find_operator(const std::string& kind);

// A ClusterTrainingRuntime or TrainingRuntime document and the file it is in.
struct RuntimeDoc {
  YAML::Node doc;
  std::string file;
};

// Reads one file's documents, every error and warning at its line in `d`.
class JobReader {
 public:
  JobReader(std::string file, Diagnostics* d) : file_(std::move(file)), d_(d) {}

  SourceLoc at(const YAML::Node& n) const {
    return {file_, n.Mark().line + 1, n.Mark().column + 1};
  }
  void error(const YAML::Node& n, const std::string& m) { d_->error(at(n), m); }
  void warning(const YAML::Node& n, const std::string& m) { d_->warning(at(n), m); }
  static std::string scalar(const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : ""; }

  template <typename T>
  bool number(const YAML::Node& n, const std::string& what, T* out) {
    try {
      *out = n.as<T>();
      return true;
    } catch (const YAML::Exception&) {
      error(n, what + " must be a whole number, not '" + (n.IsScalar() ? n.Scalar() : "...") + "'");
      return false;
    }
  }

  std::optional<TrainingJob> read(const YAML::Node& doc);

  std::optional<TrainingJob> read_legacy_mpi(const YAML::Node& spec, const Operator& op,
                                             TrainingJob job);

  // A TrainJob (trainer.kubeflow.org/v1alpha1) with the runtime it names: the runtime's "node"
  // container run numNodes times, the TrainJob's trainer overriding its image, command, args,
  // env and resources (Kubeflow Trainer's torch plugin sets the PET_* variables).
  std::optional<TrainingJob> read_train_job(const YAML::Node& doc,
                                            const std::vector<RuntimeDoc>& runtimes,
                                            std::string* runtime_name);

  // The runtime's ML policy and its trainer container ("node").
  bool read_runtime(const YAML::Node& rt, TrainingJob* job, ReplicaGroup* g);

  // spec.trainer: what the TrainJob sets over its runtime.
  void apply_trainer(const YAML::Node& t, TrainingJob* job, ReplicaGroup* g);

  void read_metadata(const YAML::Node& md, const YAML::Node& doc, TrainingJob* job);

  void read_run_policy(const YAML::Node& rp, TrainingJob* job);

  void read_clean_pod_policy(const YAML::Node& v, TrainingJob* job);

  void read_kind_fields(const YAML::Node& spec, const Operator& op, bool v2beta1, TrainingJob* job);

  void read_elastic(const YAML::Node& e, TrainingJob* job);

  bool read_replica(const YAML::Node& r, const Operator& op, bool v2beta1, ReplicaGroup* g);

  bool read_pod(const YAML::Node& pod, const Operator& op, bool v2beta1, ReplicaGroup* g);

  bool read_container(const YAML::Node& c, const Operator& op, bool v2beta1,
                      const std::map<std::string, YAML::Node>& volumes, ReplicaGroup* g);

  void read_env(const YAML::Node& env, ReplicaGroup* g);

  void read_resources(const YAML::Node& r, ReplicaGroup* g);

  void read_mounts(const YAML::Node& mounts, const std::map<std::string, YAML::Node>& volumes,
                   ReplicaGroup* g);

  void check_shape(const YAML::Node& specs, const Operator& op, TrainingJob* job);

 private:
  std::string file_;
  Diagnostics* d_;
};

// The TrainJob `doc` of `docs` (the file's documents), its runtime found among them, in
// `runtime_files`, or beside the file; `runtime_text` receives a runtime from another file.
std::optional<TrainingJob> read_train_job_file(const std::vector<YAML::Node>& docs,
                                               const YAML::Node& doc, const std::string& file,
                                               Diagnostics* d,
                                               const std::vector<std::string>& runtime_files,
                                               std::string* runtime_text);

}  // namespace slipway::spec::job_reader
