// Reading a Training Operator or MPI Operator job file into a TrainingJob. What each operator
// defaults (replica counts, restart policies, ports, container names) is filled in here as the
// operator's defaulting webhook would, so the replicas' variables match what it would give them.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/strings.h"
#include "core/units.h"
#include "core/yaml_json.h"
#include "spec/job_reader.h"
#include "spec/training_job.h"

namespace slipway::spec {

namespace job_reader {

const std::vector<Operator>& operators() {
  static const std::vector<Operator> ops = {
      {"PyTorchJob",
       "pytorchReplicaSpecs",
       "pytorch",
       "pytorchjob-port",
       23456,
       {"Master", "Worker"},
       {"nprocPerNode", "elasticPolicy"}},
      {"TFJob",
       "tfReplicaSpecs",
       "tensorflow",
       "tfjob-port",
       2222,
       {"Chief", "Master", "PS", "Worker", "Evaluator"},
       {"enableDynamicWorker", "successPolicy"}},
      {"XGBoostJob",
       "xgbReplicaSpecs",
       "xgboost",
       "xgboostjob-port",
       9999,
       {"Master", "Worker"},
       {}},
      {"PaddleJob",
       "paddleReplicaSpecs",
       "paddle",
       "master",
       36543,
       {"Master", "Worker"},
       {"elasticPolicy"}},
      {"JAXJob", "jaxReplicaSpecs", "jax", "jaxjob-port", 6666, {"Worker"}, {}},
      // Kubeflow Trainer v2: the runtime's "node" container, numNodes replicas of it.
      {"TrainJob", "", "node", "", 0, {"Node"}, {}},
      {"MPIJob",
       "mpiReplicaSpecs",
       "mpi",
       "mpi-port",
       9999,
       {"Launcher", "Worker"},
       {"slotsPerWorker", "mpiImplementation", "sshAuthMountPath", "launcherCreationPolicy",
        "cleanPodPolicy", "mainContainer", "runLauncherAsWorker", "replicas", "template", "gpus",
        "processingUnits", "processingResourceType"}},
  };
  return ops;
}

const Operator* find_operator(const std::string& kind) {
  for (const auto& o : operators())
    if (o.kind == kind) return &o;
  return nullptr;
}

std::optional<TrainingJob> JobReader::read(const YAML::Node& doc) {
  TrainingJob job;
  job.loc = at(doc);
  job.kind = scalar(doc["kind"]);
  job.api_version = scalar(doc["apiVersion"]);
  const Operator* op = find_operator(job.kind);
  if (!op) {
    error(doc, "kind '" + job.kind + "' is not a training job slipway runs");
    return std::nullopt;
  }
  bool v2beta1 = job.api_version == "kubeflow.org/v2beta1";
  if (job.api_version != "kubeflow.org/v1" && !(v2beta1 && job.kind == "MPIJob")) {
    error(
        doc["apiVersion"] ? doc["apiVersion"] : doc,
        job.kind + " apiVersion '" + job.api_version + "' is not one slipway reads (" +
            (job.kind == "MPIJob" ? "kubeflow.org/v1 or kubeflow.org/v2beta1" : "kubeflow.org/v1") +
            ")");
    return std::nullopt;
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    std::string k = it->first.Scalar();
    if (k != "apiVersion" && k != "kind" && k != "metadata" && k != "spec" && k != "status")
      error(it->first, "unknown key '" + k + "' in a " + job.kind);
  }
  read_metadata(doc["metadata"], doc, &job);
  const YAML::Node spec = doc["spec"];
  if (!spec || !spec.IsMap()) {
    error(spec ? spec : doc, "a " + job.kind + " needs a spec mapping");
    return std::nullopt;
  }
  std::vector<std::string> allowed = {"runPolicy", op->specs_key};
  allowed.insert(allowed.end(), op->spec_keys.begin(), op->spec_keys.end());
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    std::string k = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
      error(it->first,
            "unknown key '" + k + "' in the spec of a " + job.kind + did_you_mean(k, allowed));
  }
  read_run_policy(spec["runPolicy"], &job);
  read_kind_fields(spec, *op, v2beta1, &job);
  const YAML::Node specs = spec[op->specs_key];
  // The MPI Operator's first v1 form: one pod template for the launcher and the workers, and
  // `replicas` workers.
  if (op->kind == "MPIJob" && !specs && spec["template"]) return read_legacy_mpi(spec, *op, job);
  if (!specs || !specs.IsMap() || specs.size() == 0) {
    error(specs ? specs : spec, "a " + job.kind + " needs " + op->specs_key +
                                    " with at least one replica type (" + join(op->types, ", ") +
                                    ")");
    return std::nullopt;
  }
  std::map<std::string, YAML::Node> by_type;
  for (auto it = specs.begin(); it != specs.end(); ++it) {
    std::string written = it->first.Scalar();
    // The operators accept any case ("worker") and camel-case it (setTypeNameToCamelCase).
    auto known = std::find_if(op->types.begin(), op->types.end(), [&](const std::string& t) {
      return to_lower(t) == to_lower(written);
    });
    if (known == op->types.end()) {
      error(it->first, "replica type '" + written + "' is not one a " + job.kind + " has (" +
                           join(op->types, ", ") + ")");
      continue;
    }
    by_type[*known] = it->second;
  }
  for (const std::string& type : op->types) {
    auto it = by_type.find(type);
    if (it == by_type.end()) continue;
    ReplicaGroup g;
    g.type = type;
    if (read_replica(it->second, *op, v2beta1, &g)) job.groups.push_back(std::move(g));
  }
  // The job's shape, once its replicas read well (a replica refused above is not missing).
  if (!d_->has_errors()) check_shape(specs, *op, &job);
  if (d_->has_errors()) return std::nullopt;
  return job;
}

std::optional<TrainingJob> JobReader::read_legacy_mpi(const YAML::Node& spec, const Operator& op,
                                                      TrainingJob job) {
  for (const char* k : {"gpus", "processingUnits", "processingResourceType"})
    if (spec[k])
      warning(spec[k], std::string(k) +
                           " sizes the workers by accelerators on Kubernetes; slipway starts "
                           "`replicas` workers with slotsPerWorker slots each");
  ReplicaGroup launcher, workers;
  launcher.type = "Launcher";
  workers.type = "Worker";
  launcher.restart_policy = workers.restart_policy = "Never";
  if (spec["replicas"] && number(spec["replicas"], "replicas", &workers.replicas) &&
      workers.replicas < 1)
    error(spec["replicas"], "replicas (the MPI workers) must be at least 1");
  const YAML::Node pod = spec["template"]["spec"];
  if (!pod || !pod.IsMap()) {
    error(spec["template"], "template needs spec, the pod of the launcher and the workers");
    return std::nullopt;
  }
  launcher.loc = workers.loc = at(spec["template"]);
  if (read_pod(pod, op, false, &launcher)) {
    workers.container = launcher.container;
    job.groups = {launcher, workers};
  }
  if (d_->has_errors()) return std::nullopt;
  return job;
}

void JobReader::read_metadata(const YAML::Node& md, const YAML::Node& doc, TrainingJob* job) {
  if (!md || !md.IsMap() || !md["name"] || md["name"].Scalar().empty()) {
    error(md ? md : doc, "a " + job->kind +
                             " needs metadata.name (slipway names the run and the replicas "
                             "after it)");
    return;
  }
  job->name = md["name"].Scalar();
  if (md["namespace"] && !md["namespace"].Scalar().empty())
    job->namespace_ = md["namespace"].Scalar();
}

void JobReader::read_run_policy(const YAML::Node& rp, TrainingJob* job) {
  if (!rp) return;
  if (!rp.IsMap()) return error(rp, "runPolicy must be a mapping");
  for (auto it = rp.begin(); it != rp.end(); ++it) {
    std::string k = it->first.Scalar();
    const YAML::Node v = it->second;
    if (k == "backoffLimit") {
      int b = 0;
      if (number(v, "runPolicy.backoffLimit", &b)) {
        if (b < 0) error(v, "runPolicy.backoffLimit cannot be negative");
        job->backoff_limit = b;
      }
    } else if (k == "activeDeadlineSeconds") {
      std::int64_t s = 0;
      if (number(v, "runPolicy.activeDeadlineSeconds", &s)) {
        if (s <= 0) error(v, "runPolicy.activeDeadlineSeconds must be positive");
        job->active_deadline_seconds = s;
      }
    } else if (k == "cleanPodPolicy") {
      read_clean_pod_policy(v, job);
    } else if (k == "ttlSecondsAfterFinished") {
      // When the finished job's object is deleted: a run is kept until `slipway runs rm`.
    } else if (k == "schedulingPolicy" || k == "suspend" || k == "managedBy") {
      warning(it->first, "runPolicy." + k +
                             " is for Kubernetes schedulers and controllers; slipway starts "
                             "every replica together (kept for --backend k8s)");
    } else {
      error(it->first, "unknown key '" + k + "' in runPolicy" +
                           did_you_mean(k, {"backoffLimit", "activeDeadlineSeconds",
                                            "cleanPodPolicy", "ttlSecondsAfterFinished",
                                            "schedulingPolicy", "suspend", "managedBy"}));
    }
  }
}

void JobReader::read_clean_pod_policy(const YAML::Node& v, TrainingJob* job) {
  job->clean_pod_policy = scalar(v);
  if (job->clean_pod_policy != "None" && job->clean_pod_policy != "Running" &&
      job->clean_pod_policy != "All")
    error(v, "cleanPodPolicy must be None, Running or All, not '" + job->clean_pod_policy + "'");
}

void JobReader::read_kind_fields(const YAML::Node& spec, const Operator& op, bool v2beta1,
                                 TrainingJob* job) {
  // The MPI Operator's v1 kept cleanPodPolicy in the spec.
  if (const YAML::Node n = spec["cleanPodPolicy"]) read_clean_pod_policy(n, job);
  if (const YAML::Node n = spec["nprocPerNode"]) job->nproc_per_node = scalar(n);
  if (const YAML::Node e = spec["elasticPolicy"]) read_elastic(e, job);
  if (const YAML::Node n = spec["enableDynamicWorker"]) {
    try {
      job->enable_dynamic_worker = n.as<bool>();
    } catch (const YAML::Exception&) {
      error(n, "enableDynamicWorker must be true or false");
    }
  }
  if (const YAML::Node n = spec["successPolicy"]) {
    job->success_policy = scalar(n);
    if (job->success_policy != "" && job->success_policy != "AllWorkers")
      error(n, "successPolicy must be \"\" or AllWorkers, not '" + job->success_policy + "'");
  }
  if (const YAML::Node n = spec["slotsPerWorker"]) {
    if (number(n, "slotsPerWorker", &job->slots_per_worker) && job->slots_per_worker < 1)
      error(n, "slotsPerWorker must be at least 1");
  }
  if (const YAML::Node n = spec["mpiImplementation"]) {
    job->mpi_implementation = scalar(n);
    if (job->mpi_implementation != "OpenMPI" && job->mpi_implementation != "Intel" &&
        job->mpi_implementation != "MPICH")
      error(n, "mpiImplementation must be OpenMPI, Intel or MPICH, not '" +
                   job->mpi_implementation + "'");
  }
  if (const YAML::Node n = spec["runLauncherAsWorker"]; n && scalar(n) == "true")
    error(n,
          "runLauncherAsWorker is not supported: slipway runs the launcher apart from the "
          "workers");
  (void)op;
  (void)v2beta1;
}

void JobReader::read_elastic(const YAML::Node& e, TrainingJob* job) {
  if (!e.IsMap()) return error(e, "elasticPolicy must be a mapping");
  ElasticPolicy p;
  for (auto it = e.begin(); it != e.end(); ++it) {
    std::string k = it->first.Scalar();
    const YAML::Node v = it->second;
    int n = 0;
    if (k == "minReplicas") {
      if (number(v, "elasticPolicy.minReplicas", &n)) p.min_replicas = n;
    } else if (k == "maxReplicas") {
      if (number(v, "elasticPolicy.maxReplicas", &n)) p.max_replicas = n;
    } else if (k == "rdzvBackend") {
      p.rdzv_backend = scalar(v);
    } else if (k == "rdzvHost") {
      p.rdzv_host = scalar(v);
    } else if (k == "rdzvPort") {
      if (number(v, "elasticPolicy.rdzvPort", &n)) p.rdzv_port = n;
    } else if (k == "rdzvId") {
      p.rdzv_id = scalar(v);
    } else if (k == "rdzvConf") {
      // A list of {key, value}; the operator joins them as key=value,key=value.
      std::vector<std::string> parts;
      if (v.IsSequence())
        for (const auto& kv : v) parts.push_back(scalar(kv["key"]) + "=" + scalar(kv["value"]));
      p.rdzv_conf = join(parts, ",");
    } else if (k == "maxRestarts") {
      if (number(v, "elasticPolicy.maxRestarts", &n)) p.max_restarts = n;
    } else if (k == "nProcPerNode") {
      if (number(v, "elasticPolicy.nProcPerNode", &n)) p.nproc_per_node = n;
    } else if (k == "standalone") {
      p.standalone = scalar(v) == "true";
    } else if (k == "metrics") {
      warning(it->first,
              "elasticPolicy.metrics drives a Kubernetes autoscaler; slipway keeps "
              "the number of workers it starts with");
    } else {
      error(it->first, "unknown key '" + k + "' in elasticPolicy");
    }
  }
  job->elastic = p;
}

bool JobReader::read_replica(const YAML::Node& r, const Operator& op, bool v2beta1,
                             ReplicaGroup* g) {
  g->loc = at(r);
  if (!r.IsMap()) {
    error(r, g->type + " must be a mapping with replicas and template");
    return false;
  }
  for (auto it = r.begin(); it != r.end(); ++it) {
    std::string k = it->first.Scalar();
    if (k != "replicas" && k != "restartPolicy" && k != "template")
      error(it->first, "unknown key '" + k + "' in replica spec " + g->type +
                           did_you_mean(k, {"replicas", "restartPolicy", "template"}));
  }
  if (const YAML::Node n = r["replicas"]) {
    if (number(n, g->type + ".replicas", &g->replicas) && g->replicas < 0)
      error(n, g->type + ".replicas cannot be negative");
  }
  // The operators' defaults (*_defaults.go): OnFailure for PyTorchJob and PaddleJob, Never for
  // the others.
  g->restart_policy = op.kind == "PyTorchJob" || op.kind == "PaddleJob" ? "OnFailure" : "Never";
  if (const YAML::Node n = r["restartPolicy"]) {
    g->restart_policy = scalar(n);
    if (g->restart_policy != "Never" && g->restart_policy != "OnFailure" &&
        g->restart_policy != "Always" && g->restart_policy != "ExitCode")
      error(n, g->type + ".restartPolicy must be Always, OnFailure, Never or ExitCode, not '" +
                   g->restart_policy + "'");
  }
  const YAML::Node tmpl = r["template"];
  const YAML::Node pod = tmpl ? tmpl["spec"] : YAML::Node();
  if (!pod || !pod.IsMap()) {
    error(tmpl ? tmpl : r, g->type + " needs template.spec, the pod each replica runs");
    return false;
  }
  return read_pod(pod, op, v2beta1, g);
}

void JobReader::check_shape(const YAML::Node& specs, const Operator& op, TrainingJob* job) {
  if (job->total_replicas() == 0)
    error(specs, "the " + op.kind + " has no replicas to run (every replicas is 0)");
  const ReplicaGroup* master = job->group("Master");
  if (master && master->replicas != 1 && op.kind != "TFJob")
    error(specs,
          op.kind + " Master must have exactly 1 replica, not " + std::to_string(master->replicas));
  if (op.kind == "MPIJob") {
    const ReplicaGroup* launcher = job->group("Launcher");
    if (!launcher || launcher->replicas != 1)
      error(specs, "an MPIJob needs exactly 1 Launcher replica, the one that runs mpirun");
  }
  if (op.kind == "XGBoostJob" && !master)
    error(specs, "an XGBoostJob needs a Master replica (the rabit tracker runs there)");
  if (op.kind == "TFJob" && job->group("Chief") && job->group("Master"))
    error(specs, "a TFJob has a Chief or a Master, not both");
  if (job->elastic && op.kind == "PyTorchJob") {
    ElasticPolicy& e = *job->elastic;
    const ReplicaGroup* worker = job->group("Worker");
    // setElasticPolicy in pytorch_defaults.go: one bound given sets the other; none, the
    // Worker count.
    if (e.min_replicas == 0 && e.max_replicas == 0 && worker)
      e.min_replicas = e.max_replicas = worker->replicas;
    else if (e.min_replicas == 0)
      e.min_replicas = e.max_replicas;
    else if (e.max_replicas == 0)
      e.max_replicas = e.min_replicas;
    if (e.min_replicas > e.max_replicas)
      error(specs, "elasticPolicy.minReplicas (" + std::to_string(e.min_replicas) +
                       ") is above maxReplicas (" + std::to_string(e.max_replicas) + ")");
  }
}

}  // namespace job_reader

using job_reader::find_operator;
using job_reader::JobReader;
using job_reader::operators;

const ReplicaGroup* TrainingJob::group(const std::string& type) const {
  for (const auto& g : groups)
    if (g.type == type) return &g;
  return nullptr;
}

int TrainingJob::total_replicas() const {
  int n = 0;
  for (const auto& g : groups) n += g.replicas;
  return n;
}

bool looks_like_training_job(const std::string& text) {
  if (text.find("kind: TrainJob") != std::string::npos &&
      text.find("trainer.kubeflow.org/") != std::string::npos)
    return true;
  for (const auto& op : operators())
    if (text.find("kind: " + op.kind) != std::string::npos ||
        text.find("kind: \"" + op.kind + "\"") != std::string::npos ||
        text.find("\"kind\": \"" + op.kind + "\"") != std::string::npos)
      return text.find("kubeflow.org/") != std::string::npos;
  return false;
}

namespace {

std::optional<TrainingJob> read_job_documents(const std::string& text, const std::string& file,
                                              Diagnostics* d,
                                              const std::vector<std::string>& runtime_files,
                                              std::string* runtime_text) {
  std::vector<YAML::Node> docs;
  try {
    docs = load_yaml_documents(text);
  } catch (const YAML::ParserException& e) {
    d->error({file, e.mark.line + 1, e.mark.column + 1}, "not valid YAML: " + e.msg);
    return std::nullopt;
  }
  for (const auto& doc : docs)
    if (doc.IsMap() && doc["kind"] && doc["kind"].IsScalar() &&
        doc["kind"].Scalar() == "TrainJob") {
      return job_reader::read_train_job_file(docs, doc, file, d, runtime_files, runtime_text);
    }

  std::vector<YAML::Node> jobs;
  for (const auto& doc : docs)
    if (doc.IsMap() && find_operator(doc["kind"] ? doc["kind"].as<std::string>("") : ""))
      jobs.push_back(doc);
  if (jobs.size() != 1) {
    d->error({file, 1, 1}, jobs.empty() ? "no training job (PyTorchJob, TFJob, XGBoostJob, "
                                          "PaddleJob, JAXJob, MPIJob) in the file"
                                        : "the file holds " + std::to_string(jobs.size()) +
                                              " training jobs; run one file per job");
    return std::nullopt;
  }
  for (const auto& doc : docs)
    if (doc.IsMap() && !doc.is(jobs.front()))
      d->warning({file, doc.Mark().line + 1, 1},
                 "document of kind '" + (doc["kind"] ? doc["kind"].as<std::string>("") : "") +
                     "' beside the job is not applied on the host (kept for --backend k8s)");
  return JobReader(file, d).read(jobs.front());
}

}  // namespace

// yaml-cpp throws where a mapping was expected and something else is written (`env: [x]`, where
// each entry must be a mapping): that is a file of the wrong shape, said at its line.
std::optional<TrainingJob> read_training_job(const std::string& text, const std::string& file,
                                             Diagnostics* d,
                                             const std::vector<std::string>& runtime_files,
                                             std::string* runtime_text) {
  try {
    return read_job_documents(text, file, d, runtime_files, runtime_text);
  } catch (const YAML::Exception& e) {
    d->error({file, e.mark.line + 1, e.mark.column + 1},
             "not the shape a training job has here: " + e.msg);
    return std::nullopt;
  }
}

}  // namespace slipway::spec
