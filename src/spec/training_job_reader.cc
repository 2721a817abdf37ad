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
#include "spec/training_job.h"

namespace slipway::spec {

namespace {

// What differs between the operators: the key of the replica specs, the replica types in rank
// order, the framework's container name and its default port (kubeflow.org/v1 *_types.go).
struct Operator {
  std::string kind, specs_key, container, port_name;
  int default_port = 0;
  std::vector<std::string> types;
  std::vector<std::string> spec_keys;  // spec fields of this kind besides runPolicy and the specs
};

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

// Pod fields that place or secure pods on a cluster: kept for `--backend k8s`, which applies the
// file as written; on the host they mean nothing, and a warning says so.
const std::set<std::string> kPodPlacement = {"nodeSelector",
                                             "tolerations",
                                             "affinity",
                                             "serviceAccountName",
                                             "schedulerName",
                                             "priorityClassName",
                                             "imagePullSecrets",
                                             "securityContext",
                                             "hostNetwork",
                                             "hostIPC",
                                             "hostPID",
                                             "dnsPolicy",
                                             "runtimeClassName",
                                             "topologySpreadConstraints",
                                             "terminationGracePeriodSeconds",
                                             "serviceAccount",
                                             "automountServiceAccountToken",
                                             "priority",
                                             "shareProcessNamespace",
                                             "subdomain",
                                             "hostname",
                                             "enableServiceLinks",
                                             "dnsConfig"};
// Container fields that only the container runtime acts on.
const std::set<std::string> kContainerQuiet = {
    "imagePullPolicy",          "securityContext", "terminationMessagePath",
    "terminationMessagePolicy", "stdin",           "tty"};

// A ClusterTrainingRuntime or TrainingRuntime document and the file it is in.
struct RuntimeDoc {
  YAML::Node doc;
  std::string file;
};

class Reader {
 public:
  Reader(std::string file, Diagnostics* d) : file_(std::move(file)), d_(d) {}

  SourceLoc at(const YAML::Node& n) const {
    return {file_, n.Mark().line + 1, n.Mark().column + 1};
  }
  void error(const YAML::Node& n, const std::string& m) { d_->error(at(n), m); }
  void warning(const YAML::Node& n, const std::string& m) { d_->warning(at(n), m); }

  std::optional<TrainingJob> read(const YAML::Node& doc) {
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
      error(doc["apiVersion"] ? doc["apiVersion"] : doc,
            job.kind + " apiVersion '" + job.api_version + "' is not one slipway reads (" +
                (job.kind == "MPIJob" ? "kubeflow.org/v1 or kubeflow.org/v2beta1"
                                      : "kubeflow.org/v1") +
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

 private:
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

  std::optional<TrainingJob> read_legacy_mpi(const YAML::Node& spec, const Operator& op,
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

 public:
  // A TrainJob (trainer.kubeflow.org/v1alpha1) with the runtime it names: the runtime's "node"
  // container run numNodes times, the TrainJob's trainer overriding its image, command, args,
  // env and resources (Kubeflow Trainer's torch plugin sets the PET_* variables).
  std::optional<TrainingJob> read_train_job(const YAML::Node& doc,
                                            const std::vector<RuntimeDoc>& runtimes,
                                            std::string* runtime_name) {
    TrainingJob job;
    job.loc = at(doc);
    job.kind = "TrainJob";
    job.api_version = scalar(doc["apiVersion"]);
    if (job.api_version != "trainer.kubeflow.org/v1alpha1") {
      error(doc["apiVersion"] ? doc["apiVersion"] : doc,
            "TrainJob apiVersion '" + job.api_version +
                "' is not one slipway reads (trainer.kubeflow.org/v1alpha1)");
      return std::nullopt;
    }
    read_metadata(doc["metadata"], doc, &job);
    const YAML::Node spec = doc["spec"];
    if (!spec || !spec.IsMap()) {
      error(spec ? spec : doc, "a TrainJob needs a spec mapping");
      return std::nullopt;
    }
    static const std::vector<std::string> kKeys = {
        "runtimeRef",           "trainer",       "initializer", "labels",
        "annotations",          "suspend",       "managedBy",   "podSpecOverrides",
        "podTemplateOverrides", "runtimePatches"};
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      std::string k = it->first.Scalar();
      if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end())
        error(it->first,
              "unknown key '" + k + "' in the spec of a TrainJob" + did_you_mean(k, kKeys));
      else if (k == "initializer")
        warning(it->first,
                "initializer (dataset and model downloads) is not run on the host; "
                "put the data where the trainer reads it");
      else if (k != "runtimeRef" && k != "trainer")
        warning(it->first, k + " shapes the Kubernetes pods and scheduling; on the host it has "
                               "no effect (kept for --backend k8s)");
    }
    const YAML::Node ref = spec["runtimeRef"];
    if (!ref || !ref["name"]) {
      error(ref ? ref : spec, "a TrainJob needs runtimeRef.name, the runtime it runs on");
      return std::nullopt;
    }
    std::string ref_kind = ref["kind"] ? scalar(ref["kind"]) : "ClusterTrainingRuntime";
    std::string ref_name = scalar(ref["name"]);
    const RuntimeDoc* rt = nullptr;
    for (const auto& r : runtimes)
      if (scalar(r.doc["kind"]) == ref_kind && scalar(r.doc["metadata"]["name"]) == ref_name) {
        rt = &r;
        break;
      }
    if (!rt) {
      error(ref["name"], "no " + ref_kind + " '" + ref_name +
                             "' in this file, the files given with --runtime, or the YAML files "
                             "beside this one: name the file that defines it with --runtime FILE");
      return std::nullopt;
    }
    *runtime_name = ref_name;
    Reader rr(rt->file, d_);
    ReplicaGroup g;
    g.type = "Node";
    g.restart_policy = "Never";
    if (!rr.read_runtime(rt->doc, &job, &g)) return std::nullopt;
    if (const YAML::Node t = spec["trainer"]) apply_trainer(t, &job, &g);
    g.loc = job.loc;
    if (g.container.command.empty() && g.container.args.empty()) {
      error(spec["trainer"] ? spec["trainer"] : spec,
            "neither the TrainJob's trainer nor runtime " + ref_name +
                " gives a command; slipway runs it on the host, where the image's entrypoint is "
                "unknown: set trainer.command");
      return std::nullopt;
    }
    job.groups = {g};
    if (d_->has_errors()) return std::nullopt;
    return job;
  }

  // The runtime's ML policy and its trainer container ("node").
  bool read_runtime(const YAML::Node& rt, TrainingJob* job, ReplicaGroup* g) {
    const YAML::Node spec = rt["spec"];
    const YAML::Node ml = spec ? spec["mlPolicy"] : YAML::Node();
    int nodes = 1;
    if (ml && ml["numNodes"]) number(ml["numNodes"], "mlPolicy.numNodes", &nodes);
    g->replicas = nodes;
    if (ml && ml["torch"]) {
      if (const YAML::Node n = ml["torch"]["numProcPerNode"]) job->nproc_per_node = scalar(n);
    } else {
      std::string policy = "none";
      if (ml)
        for (auto it = ml.begin(); it != ml.end(); ++it)
          if (it->first.Scalar() != "numNodes") policy = it->first.Scalar();
      error(ml ? ml : rt, "runtime " + scalar(rt["metadata"]["name"]) + ": mlPolicy " + policy +
                              " is not run by slipway yet (the torch policy is); write the job "
                              "as an MPIJob or a PyTorchJob");
      return false;
    }
    const YAML::Node tmpl = spec["template"];
    const YAML::Node rjobs = tmpl && tmpl["spec"] ? tmpl["spec"]["replicatedJobs"] : YAML::Node();
    if (!rjobs || !rjobs.IsSequence()) {
      error(spec ? spec : rt, "the runtime has no template.spec.replicatedJobs");
      return false;
    }
    bool found = false;
    for (size_t i = 0; i < rjobs.size(); ++i) {
      const YAML::Node rj = rjobs[i];
      std::string name = scalar(rj["name"]);
      if (name != "node") {
        warning(rj, "replicated job '" + name + "' of the runtime (" +
                        (name.find("initializer") != std::string::npos ? "an initializer"
                                                                       : "not the trainer") +
                        ") is not run on the host");
        continue;
      }
      const YAML::Node inner = rj["template"] && rj["template"]["spec"]
                                   ? rj["template"]["spec"]["template"]
                                   : YAML::Node();
      const YAML::Node pod = inner ? inner["spec"] : YAML::Node();
      if (!pod || !pod.IsMap()) {
        error(rj, "replicated job 'node' needs template.spec.template.spec, the trainer's pod");
        return false;
      }
      found = read_pod(pod, *find_operator("TrainJob"), false, g);
      if (!found) return false;
    }
    if (!found) error(rjobs, "the runtime has no replicated job named 'node' (the trainer)");
    return found;
  }

  // spec.trainer: what the TrainJob sets over its runtime.
  void apply_trainer(const YAML::Node& t, TrainingJob* job, ReplicaGroup* g) {
    JobContainer& c = g->container;
    for (auto it = t.begin(); it != t.end(); ++it) {
      std::string k = it->first.Scalar();
      const YAML::Node v = it->second;
      if (k == "image") {
        c.image = scalar(v);
      } else if (k == "command" || k == "args") {
        std::vector<std::string> words;
        if (v.IsSequence())
          for (size_t i = 0; i < v.size(); ++i) words.push_back(scalar(v[i]));
        (k == "command" ? c.command : c.args) = words;
      } else if (k == "env") {
        ReplicaGroup extra;
        extra.type = "trainer";
        read_env(v, &extra);
        for (const auto& var : extra.container.env) {
          auto e = std::find_if(c.env.begin(), c.env.end(),
                                [&](const auto& x) { return x.first == var.first; });
          if (e != c.env.end())
            e->second = var.second;
          else
            c.env.push_back(var);
        }
        for (auto& f : extra.container.env_fields) c.env_fields.push_back(f);
      } else if (k == "numNodes") {
        if (number(v, "trainer.numNodes", &g->replicas) && g->replicas < 1)
          error(v, "trainer.numNodes must be at least 1");
      } else if (k == "numProcPerNode") {
        job->nproc_per_node = scalar(v);
      } else if (k == "resourcesPerNode") {
        read_resources(v, g);
      } else {
        warning(it->first, "trainer." + k + " is not applied on the host");
      }
    }
  }

 private:
  void read_metadata(const YAML::Node& md, const YAML::Node& doc, TrainingJob* job) {
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

  void read_run_policy(const YAML::Node& rp, TrainingJob* job) {
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

  void read_clean_pod_policy(const YAML::Node& v, TrainingJob* job) {
    job->clean_pod_policy = scalar(v);
    if (job->clean_pod_policy != "None" && job->clean_pod_policy != "Running" &&
        job->clean_pod_policy != "All")
      error(v, "cleanPodPolicy must be None, Running or All, not '" + job->clean_pod_policy + "'");
  }

  void read_kind_fields(const YAML::Node& spec, const Operator& op, bool v2beta1,
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

  void read_elastic(const YAML::Node& e, TrainingJob* job) {
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

  bool read_replica(const YAML::Node& r, const Operator& op, bool v2beta1, ReplicaGroup* g) {
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

  bool read_pod(const YAML::Node& pod, const Operator& op, bool v2beta1, ReplicaGroup* g) {
    std::map<std::string, YAML::Node> volumes;  // name -> volume
    for (auto it = pod.begin(); it != pod.end(); ++it) {
      std::string k = it->first.Scalar();
      if (k == "containers" || k == "restartPolicy") continue;
      if (k == "volumes") {
        if (it->second.IsSequence())
          for (size_t i = 0; i < it->second.size(); ++i)
            volumes[scalar(it->second[i]["name"])] = it->second[i];
      } else if (k == "initContainers") {
        warning(it->first, g->type +
                               ": initContainers are not run on the host; do their work "
                               "before the job (kept for --backend k8s)");
      } else if (kPodPlacement.count(k)) {
        warning(it->first, g->type + ": " + k +
                               " places pods on a Kubernetes cluster; on the host it has no "
                               "effect (kept for --backend k8s)");
      } else {
        warning(it->first, g->type + ": pod field '" + k + "' is not applied on the host");
      }
    }
    const YAML::Node cs = pod["containers"];
    if (!cs || !cs.IsSequence() || cs.size() == 0) {
      error(cs ? cs : pod, g->type + " has no containers to run");
      return false;
    }
    // The framework's container by its operator's name, else the pod's only one; the MPI
    // Operator v2beta1 names none, so its first container is the one (as mpi-operator does).
    std::optional<size_t> pick;
    for (size_t i = 0; i < cs.size(); ++i)
      if (scalar(cs[i]["name"]) == op.container) pick = i;
    if (!pick && (cs.size() == 1 || op.kind == "MPIJob")) pick = 0;
    if (!pick) {
      error(cs, g->type + " has " + std::to_string(cs.size()) + " containers and none is named '" +
                    op.container + "', the container a " + op.kind +
                    " runs; name the training container '" + op.container + "'");
      return false;
    }
    for (size_t i = 0; i < cs.size(); ++i)
      if (i != *pick)
        warning(cs[i], g->type + ": sidecar container '" + scalar(cs[i]["name"]) +
                           "' is not run on the host (kept for --backend k8s)");
    return read_container(cs[*pick], op, v2beta1, volumes, g);
  }

  bool read_container(const YAML::Node& c, const Operator& op, bool v2beta1,
                      const std::map<std::string, YAML::Node>& volumes, ReplicaGroup* g) {
    JobContainer& out = g->container;
    out.name = scalar(c["name"]);
    out.image = scalar(c["image"]);
    for (auto it = c.begin(); it != c.end(); ++it) {
      std::string k = it->first.Scalar();
      const YAML::Node v = it->second;
      if (k == "name" || k == "image" || kContainerQuiet.count(k)) continue;
      if (k == "command" || k == "args") {
        if (v.IsNull()) continue;  // `command:` with nothing after it: not set
        if (!v.IsSequence()) {
          error(v, g->type + ": " + k + " must be a list of strings");
          continue;
        }
        for (const auto& a : v) (k == "command" ? out.command : out.args).push_back(scalar(a));
      } else if (k == "env") {
        read_env(v, g);
      } else if (k == "workingDir") {
        out.working_dir = scalar(v);
      } else if (k == "ports") {
        if (v.IsSequence())
          for (const auto& p : v) {
            int port = 0;
            if (p["containerPort"] && number(p["containerPort"], "containerPort", &port))
              out.ports.emplace_back(scalar(p["name"]), port);
          }
      } else if (k == "resources") {
        read_resources(v, g);
      } else if (k == "volumeMounts") {
        read_mounts(v, volumes, g);
      } else {
        warning(it->first, g->type + ": container field '" + k + "' is not applied on the host");
      }
    }
    // The MPI Operator's workers run sshd (their image's, when no command is given) for the
    // launcher's mpirun to reach them; slipway does not run the workers' command: the launcher's
    // mpirun starts the ranks on the workers' slots.
    if (op.kind == "TrainJob") {
      // The TrainJob's trainer may still give the command: checked once it is applied.
    } else if (op.kind == "MPIJob" && g->type == "Worker") {
      warning(c,
              "Worker: the MPI workers' own command (sshd) is not run; the launcher's mpirun "
              "starts the ranks on the workers' slots");
    } else if (out.command.empty() && out.args.empty()) {
      error(c, g->type +
                   ": the container has no command; slipway runs it on the host, where the "
                   "image's entrypoint is unknown: write the command the image runs");
      return false;
    } else if (out.command.empty() && starts_with(out.args[0], "-")) {
      error(c["args"], g->type + ": args without command (" + out.args[0] +
                           "...) are options to the image's entrypoint, which is unknown on the "
                           "host: put the program the image runs in command");
      return false;
    } else if (out.command.empty()) {
      // An entrypoint that sets the image up and execs its arguments (the MPI Operator's Intel
      // image): the arguments are the program.
      warning(c["args"], g->type +
                             ": args without command: the image's entrypoint is unknown "
                             "on the host, so the args run as the command ('" +
                             out.args[0] + "')");
    }
    // The operators add the framework's port when the container declares none
    // (setDefaultPort in *_defaults.go).
    bool has_port = std::any_of(out.ports.begin(), out.ports.end(),
                                [&](const auto& p) { return p.first == op.port_name; });
    if (!has_port && op.kind != "MPIJob") out.ports.emplace_back(op.port_name, op.default_port);
    (void)v2beta1;
    return true;
  }

  void read_env(const YAML::Node& env, ReplicaGroup* g) {
    if (!env.IsSequence()) return error(env, g->type + ": env must be a list of {name, value}");
    for (const auto& e : env) {
      std::string name = scalar(e["name"]);
      if (name.empty()) {
        error(e, g->type + ": an env entry needs a name");
        continue;
      }
      if (const YAML::Node from = e["valueFrom"]) {
        if (from["fieldRef"] && from["fieldRef"]["fieldPath"]) {
          std::string path = scalar(from["fieldRef"]["fieldPath"]);
          static const std::set<std::string> kKnown = {"status.podIP", "status.hostIP",
                                                       "metadata.name", "metadata.namespace",
                                                       "spec.nodeName"};
          if (!kKnown.count(path)) {
            error(from, g->type + ": env " + name + " reads field " + path +
                            ", which slipway cannot fill in (it knows " +
                            "status.podIP, status.hostIP, metadata.name, metadata.namespace, "
                            "spec.nodeName)");
            continue;
          }
          g->container.env_fields.emplace_back(name, path);
          continue;
        }
        error(from, g->type + ": env " + name +
                        " comes from a Kubernetes object (a Secret, a ConfigMap or a resource "
                        "field) that does not exist on the host: give its value, or set it in "
                        "the environment of `slipway run` and drop the entry");
        continue;
      }
      g->container.env.emplace_back(name, scalar(e["value"]));
    }
  }

  void read_resources(const YAML::Node& r, ReplicaGroup* g) {
    if (!r.IsMap()) return error(r, g->type + ": resources must be a mapping");
    // Limits are what a replica gets; requests stand in where no limit is set.
    for (const char* part : {"requests", "limits"}) {
      const YAML::Node m = r[part];
      if (!m) continue;
      if (!m.IsMap()) {
        error(m, g->type + ": resources." + part + " must be a mapping");
        continue;
      }
      for (auto it = m.begin(); it != m.end(); ++it) {
        std::string k = it->first.Scalar();
        std::string v = scalar(it->second);
        if (k == "cpu") {
          auto c = parse_millicpus(v);
          if (!c.ok())
            error(it->second, g->type + ": resources." + part + ".cpu: " + c.status().message());
          else
            g->container.millicpus = *c;
        } else if (k == "memory") {
          auto b = parse_memory_bytes(v);
          if (!b.ok())
            error(it->second, g->type + ": resources." + part + ".memory: " + b.status().message());
          else
            g->container.memory_bytes = *b;
        } else if (k == "nvidia.com/gpu") {
          int n = 0;
          if (number(it->second, g->type + ": resources." + part + ".nvidia.com/gpu", &n))
            g->container.gpus = n;
        } else if (k != "ephemeral-storage") {
          warning(it->first, g->type + ": resource " + k +
                                 " is a Kubernetes device or extended resource slipway does not "
                                 "allocate on the host (cpu, memory, nvidia.com/gpu are)");
        }
      }
    }
  }

  void read_mounts(const YAML::Node& mounts, const std::map<std::string, YAML::Node>& volumes,
                   ReplicaGroup* g) {
    if (!mounts.IsSequence()) return;
    for (const auto& m : mounts) {
      std::string name = scalar(m["name"]), path = scalar(m["mountPath"]);
      auto it = volumes.find(name);
      if (it == volumes.end()) {
        error(m, g->type + ": volumeMount " + name + " names no volume of the pod");
        continue;
      }
      const YAML::Node v = it->second;
      if (v["hostPath"]) {
        std::string host = scalar(v["hostPath"]["path"]);
        if (host != path)
          warning(m, g->type + ": volume " + name + " mounts host path " + host + " at " + path +
                         "; on the host the command sees " + host + " itself, not " + path);
      } else if (v["emptyDir"]) {
        warning(m, g->type + ": emptyDir volume " + name + " at " + path +
                       " is not created; the command sees the host's " + path);
      } else {
        std::string type = "volume";
        for (const char* t : {"persistentVolumeClaim", "configMap", "secret", "nfs", "csi",
                              "projected", "downwardAPI"})
          if (v[t]) type = t;
        error(m, g->type + ": volume " + name + " (" + type + ", mounted at " + path +
                     ") names a Kubernetes object that does not exist on the host: put its "
                     "files on a shared file system and mount them with a hostPath volume whose "
                     "path is the mountPath, or run with --backend k8s");
      }
    }
  }

  void check_shape(const YAML::Node& specs, const Operator& op, TrainingJob* job) {
    if (job->total_replicas() == 0)
      error(specs, "the " + op.kind + " has no replicas to run (every replicas is 0)");
    const ReplicaGroup* master = job->group("Master");
    if (master && master->replicas != 1 && op.kind != "TFJob")
      error(specs, op.kind + " Master must have exactly 1 replica, not " +
                       std::to_string(master->replicas));
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

  std::string file_;
  Diagnostics* d_;
};

}  // namespace

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

std::string scalar_of(const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : ""; }

bool is_runtime(const YAML::Node& doc) {
  if (!doc.IsMap() || !doc["kind"] || !doc["kind"].IsScalar()) return false;
  std::string k = doc["kind"].Scalar();
  return k == "ClusterTrainingRuntime" || k == "TrainingRuntime";
}

// Runtimes a TrainJob may name: its own file's, the --runtime files', then those of the YAML
// files beside it (a manifests directory, or the corpus).
std::vector<RuntimeDoc> find_runtimes(const std::vector<YAML::Node>& own, const std::string& file,
                                      const std::vector<std::string>& runtime_files) {
  std::vector<RuntimeDoc> out;
  for (const auto& doc : own)
    if (is_runtime(doc)) out.push_back({doc, file});
  std::vector<std::string> files = runtime_files;
  std::error_code ec;
  std::filesystem::path self = std::filesystem::absolute(file, ec);
  std::vector<std::string> beside;
  for (const auto& e : std::filesystem::directory_iterator(self.parent_path(), ec)) {
    std::string ext = e.path().extension().string();
    if ((ext == ".yaml" || ext == ".yml") && e.path() != self) beside.push_back(e.path().string());
  }
  std::sort(beside.begin(), beside.end());
  files.insert(files.end(), beside.begin(), beside.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("TrainingRuntime") == std::string::npos) continue;
    try {
      for (const auto& doc : load_yaml_documents(text.str()))
        if (is_runtime(doc)) out.push_back({doc, f});
    } catch (const YAML::Exception&) {
      // Not a file slipway can read; a runtime it should have held is reported as not found.
    }
  }
  return out;
}

}  // namespace

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
      for (const auto& other : docs)
        if (other.IsMap() && !other.is(doc) && !is_runtime(other))
          d->warning({file, other.Mark().line + 1, 1},
                     "document beside the TrainJob is not applied on the host (kept for "
                     "--backend k8s)");
      std::vector<RuntimeDoc> runtimes = find_runtimes(docs, file, runtime_files);
      std::string used;
      auto job = Reader(file, d).read_train_job(doc, runtimes, &used);
      // A runtime from another file is kept with the job's text (see ParseOutcome).
      for (const auto& r : runtimes)
        if (runtime_text && job && r.file != file && scalar_of(r.doc["metadata"]["name"]) == used) {
          YAML::Emitter e;
          e << r.doc;
          *runtime_text = "\n---\n# " + r.file + "\n" + e.c_str() + "\n";
          break;
        }
      return job;
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
  return Reader(file, d).read(jobs.front());
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
