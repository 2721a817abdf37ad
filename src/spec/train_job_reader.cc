// Kubeflow Trainer v2: a TrainJob and the ClusterTrainingRuntime or TrainingRuntime it names, read
// into a job of numNodes "Node" replicas.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/strings.h"
#include "core/yaml_json.h"
#include "spec/job_reader.h"

namespace slipway::spec::job_reader {

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

// A TrainJob (trainer.kubeflow.org/v1alpha1) with the runtime it names: the runtime's "node"
// container run numNodes times, the TrainJob's trainer overriding its image, command, args,
// env and resources (Kubeflow Trainer's torch plugin sets the PET_* variables).
std::optional<TrainingJob> JobReader::read_train_job(const YAML::Node& doc,
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
  JobReader rr(rt->file, d_);
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
bool JobReader::read_runtime(const YAML::Node& rt, TrainingJob* job, ReplicaGroup* g) {
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
void JobReader::apply_trainer(const YAML::Node& t, TrainingJob* job, ReplicaGroup* g) {
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

std::optional<TrainingJob> read_train_job_file(const std::vector<YAML::Node>& docs,
                                               const YAML::Node& doc, const std::string& file,
                                               Diagnostics* d,
                                               const std::vector<std::string>& runtime_files,
                                               std::string* runtime_text) {
  for (const auto& other : docs)
    if (other.IsMap() && !other.is(doc) && !is_runtime(other))
      d->warning({file, other.Mark().line + 1, 1},
                 "document beside the TrainJob is not applied on the host (kept for "
                 "--backend k8s)");
  std::vector<RuntimeDoc> runtimes = find_runtimes(docs, file, runtime_files);
  std::string used;
  auto job = JobReader(file, d).read_train_job(doc, runtimes, &used);
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

}  // namespace slipway::spec::job_reader
