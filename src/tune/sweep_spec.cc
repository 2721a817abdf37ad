#include "tune/sweep_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include "core/files.h"
#include "core/strings.h"
#include "core/units.h"
#include "core/yaml_json.h"
#include "core/yaml_reader.h"
#include "tune/algorithm_check.h"
#include "tune/argo_trial.h"
#include "tune/metrics_collector.h"

namespace slipway::tune {

namespace fs = std::filesystem;

namespace {

// Katib's default metric line format, pkg/metricscollector/v1beta1/common/const.go.
const char* kKatibDefaultRegex = R"(([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?))";

Result<double> number(const YamlReader& r, const YAML::Node& n, const std::string& what) {
  try {
    return n.as<double>();  // Katib writes numbers as strings ("0.01"): yaml-cpp reads both
  } catch (const YAML::Exception&) {
    return r.where(
        n, what + ": '" + (n.IsScalar() ? n.Scalar() : std::string("...")) + "' is not a number");
  }
}

ParamKind kind_of(const std::string& s, bool* ok) {
  *ok = true;
  if (s == "int") return ParamKind::kInt;
  if (s == "double" || s == "float") return ParamKind::kDouble;
  if (s == "discrete") return ParamKind::kDiscrete;
  if (s == "categorical") return ParamKind::kCategorical;
  *ok = false;
  return ParamKind::kDouble;
}

// min/max/step/list (Katib's feasibleSpace; native uses the same keys, `values` for list).
Status read_space(const YamlReader& r, const YAML::Node& node, ParamSpec* p) {
  const std::string what = "parameter '" + p->name + "'";
  if (p->kind == ParamKind::kCategorical || p->kind == ParamKind::kDiscrete) {
    YAML::Node list = node["list"] ? node["list"] : node["values"];
    if (!list || !list.IsSequence() || list.size() == 0)
      return r.where(node,
                     what + " (" + param_kind_name(p->kind) + ") needs a non-empty list of values");
    for (const auto& v : list) {
      if (p->kind == ParamKind::kCategorical)
        p->choices.push_back(v.Scalar());
      else {
        auto x = number(r, v, what);
        if (!x.ok()) return x.status();
        p->numbers.push_back(*x);
      }
    }
    return Status::Ok();
  }
  for (const char* key : {"min", "max"})
    if (!node[key]) return r.where(node, what + " (" + param_kind_name(p->kind) + ") needs " + key);
  auto mn = number(r, node["min"], what + ".min");
  if (!mn.ok()) return mn.status();
  auto mx = number(r, node["max"], what + ".max");
  if (!mx.ok()) return mx.status();
  p->min = *mn, p->max = *mx;
  if (node["step"]) {
    auto st = number(r, node["step"], what + ".step");
    if (!st.ok()) return st.status();
    p->step = *st;
  }
  if (YAML::Node d = node["distribution"]) {
    const std::string dist = d.Scalar();
    if (dist != "uniform" && dist != "logUniform" && dist != "normal" && dist != "logNormal")
      return r.where(d, what + ": distribution '" + dist +
                            "' is not one of uniform, logUniform, normal, logNormal");
    p->log = dist == "logUniform" || dist == "logNormal";
    p->normal = dist == "normal" || dist == "logNormal";
  }
  if (YAML::Node l = node["log"]) p->log = l.as<bool>(false);
  return Status::Ok();
}

void default_strategies(Objective* o) {
  // Katib's defaults: every metric without a strategy takes the objective's direction.
  for (const auto& m : std::vector<std::string>{o->metric})
    o->strategy.emplace(m, o->maximize ? "max" : "min");
  for (const auto& m : o->additional) o->strategy.emplace(m, o->maximize ? "max" : "min");
}

// Whether the collector's path is a Katib container path the trial's command names (say
// --log-path=/var/log/katib/metrics.log).
bool names_container_path(const SweepSpec& s) {
  if (s.format != "katib" || s.collector.kind == "StdOut" || s.collector.path.empty() ||
      s.collector.path[0] != '/')
    return false;
  for (const auto& arg : s.trial.job_document.empty()
                             ? s.trial.command
                             : std::vector<std::string>{s.trial.job_document})
    if (arg.find(s.collector.path) != std::string::npos) return true;
  return false;
}

Status validate(const YamlReader& r, const YAML::Node& doc, SweepSpec* s) {
  s->collector.per_trial_copy = names_container_path(*s);
  if (Status st = s->space.validate(); !st.ok()) return r.where(doc, st.message());
  if (s->objective.metric.empty()) return r.where(doc, "the sweep has no objective metric");
  for (const auto& [m, st] : s->objective.strategy)
    if (st != "min" && st != "max" && st != "latest")
      return r.where(doc, "metric strategy '" + st + "' for " + m + " is not min, max or latest");
  if (s->parallel < 1) return r.where(doc, "parallel trials must be at least 1");
  if (s->max_trials < 1) return r.where(doc, "the maximum number of trials must be at least 1");
  if (s->max_failed < 0)
    return r.where(doc, "the maximum number of failed trials must not be negative");
  if (s->trial.command.empty() && s->trial.job_document.empty())
    return r.where(doc, "the trial has no command");
  for (const auto& [name, ref] : s->trial.references) {
    if (ref.rfind("${trialSpec.", 0) == 0) {
      if (ref != "${trialSpec.Name}" && !s->trial.metadata.contains(ref))
        return r.where(doc, "trial parameter '" + name + "' refers to " + ref +
                                ", which this trialSpec does not define (Katib's trial metadata: "
                                "${trialSpec.Name}, ${trialSpec.Namespace}, "
                                "${trialSpec.Kind}, ${trialSpec.APIVersion}, "
                                "${trialSpec.Labels[key]}, ${trialSpec.Annotations[key]})");
      continue;
    }
    bool found = false;
    for (const auto& p : s->space.params) found = found || p.name == ref;
    if (!found)
      return r.where(doc, "trial parameter '" + name + "' refers to '" + ref +
                              "', which is not a search parameter");
  }
  if (s->algorithm.name == "hyperband" || s->algorithm.name == "asha") {
    if (s->resource.empty())
      return r.where(doc, s->algorithm.name +
                              " needs a budget parameter (resource_name): the parameter that sets "
                              "a trial's training steps");
    const ParamSpec* rp = nullptr;
    for (const auto& p : s->space.params)
      if (p.name == s->resource) rp = &p;
    if (!rp)
      return r.where(doc, "budget parameter '" + s->resource + "' is not a search parameter");
    if (rp->kind != ParamKind::kInt && rp->kind != ParamKind::kDouble)
      return r.where(doc, "budget parameter '" + s->resource + "' must be int or double");
    if (s->min_resource <= 0) s->min_resource = rp->min > 0 ? rp->min : 1;
    if (s->max_resource <= 0) s->max_resource = rp->max;
    if (!(s->eta > 1)) return r.where(doc, "eta must be more than 1");
  }
  if (auto st = trial_command(*s, s->space.decode(std::vector<double>(s->space.dims(), 0.5)),
                              probe_extras(*s));
      !st.ok())
    return r.where(doc, st.status().message());
  return Status::Ok();
}

// Katib's trialTemplate.configMap: the trial spec is the text under `templatePath` in a ConfigMap,
// which Katib's webhook reads from the API server. Without one, the ConfigMap's manifest (as
// `kubectl get configmap NAME -o yaml` writes it) is looked for in the Experiment's folder.
Result<YAML::Node> configmap_trial_spec(const YamlReader& r, const YAML::Node& cm,
                                        const std::string& dir) {
  const std::string name = cm["configMapName"] ? cm["configMapName"].Scalar() : "";
  const std::string ns = cm["configMapNamespace"] ? cm["configMapNamespace"].Scalar() : "";
  const std::string key = cm["templatePath"] ? cm["templatePath"].Scalar() : "";
  if (name.empty() || key.empty())
    return r.where(cm, "trialTemplate.configMap needs configMapName and templatePath");
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml" || e.path().extension() == ".yml")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAllFromFile(f.string());
    } catch (const YAML::Exception&) {
      continue;  // not the ConfigMap: the Experiment's folder may hold anything
    }
    for (const auto& d : docs) {
      if (!d.IsMap() || !d["kind"] || d["kind"].Scalar() != "ConfigMap" || !d["metadata"] ||
          !d["metadata"]["name"] || d["metadata"]["name"].Scalar() != name)
        continue;
      if (!ns.empty() && d["metadata"]["namespace"] && d["metadata"]["namespace"].Scalar() != ns)
        continue;
      if (!d["data"] || !d["data"][key]) {
        std::vector<std::string> keys;
        if (d["data"] && d["data"].IsMap())
          for (const auto& kv : d["data"]) keys.push_back(kv.first.Scalar());
        return r.where(cm, "ConfigMap " + name + " in " + f.string() + " has no key '" + key + "'" +
                               (keys.empty() ? "" : " (it has: " + join(keys, ", ") + ")"));
      }
      try {
        YAML::Node spec = YAML::Load(d["data"][key].Scalar());
        if (!spec.IsMap())
          return r.where(cm, "'" + key + "' of ConfigMap " + name + " in " + f.string() +
                                 " is not a trial spec (a YAML mapping)");
        return spec;
      } catch (const YAML::Exception& e) {
        return r.where(cm, "'" + key + "' of ConfigMap " + name + " in " + f.string() +
                               " is not valid YAML, line " + std::to_string(e.mark.line + 1) +
                               ": " + e.msg);
      }
    }
  }
  return r.where(cm, "the trial template is in ConfigMap " + (ns.empty() ? "" : ns + "/") + name +
                         " (key " + key +
                         "), which Katib reads from the cluster: put the "
                         "ConfigMap's manifest (kubectl get configmap " +
                         name + (ns.empty() ? "" : " -n " + ns) + " -o yaml) in a .yaml file in " +
                         dir + ", or the trial spec inline as trialSpec");
}

Result<SweepSpec> parse_katib(const YamlReader& r, const YAML::Node& doc, const std::string& dir) {
  SweepSpec s;
  s.format = "katib";
  s.name =
      doc["metadata"] && doc["metadata"]["name"] ? doc["metadata"]["name"].Scalar() : "experiment";
  YAML::Node spec = doc["spec"];
  if (!spec || !spec.IsMap()) return r.where(doc, "the Experiment has no spec");
  YAML::Node obj = spec["objective"];
  if (!obj) return r.where(spec, "spec.objective is required");
  std::string type = obj["type"] ? obj["type"].Scalar() : "";
  if (type != "maximize" && type != "minimize")
    return r.where(obj, "objective.type must be maximize or minimize, not '" + type + "'");
  s.objective.maximize = type == "maximize";
  s.objective.metric = obj["objectiveMetricName"] ? obj["objectiveMetricName"].Scalar() : "";
  if (obj["goal"]) {
    auto g = number(r, obj["goal"], "objective.goal");
    if (!g.ok()) return g.status();
    s.objective.goal = *g;
  }
  if (YAML::Node add = obj["additionalMetricNames"])
    for (const auto& m : add) s.objective.additional.push_back(m.Scalar());
  if (YAML::Node ms = obj["metricStrategies"])
    for (const auto& m : ms) s.objective.strategy[m["name"].Scalar()] = m["value"].Scalar();
  default_strategies(&s.objective);
  if (YAML::Node alg = spec["algorithm"]) {
    s.algorithm.name = alg["algorithmName"] ? alg["algorithmName"].Scalar() : "random";
    if (YAML::Node st = alg["algorithmSettings"])
      for (const auto& kv : st)
        s.algorithm.settings[kv["name"].Scalar()] = kv["value"] ? kv["value"].Scalar() : "";
    SLIPWAY_RETURN_IF_ERROR(check_algorithm(r, alg, s.algorithm));
  }
  if (s.algorithm.settings.count("random_state"))
    s.seed = std::stoull(s.algorithm.settings["random_state"]);
  if (s.algorithm.name == "hyperband") {
    s.resource = s.algorithm.setting("resource_name", "");
    s.eta = std::stod(s.algorithm.setting("eta", "3"));
    s.min_resource = std::stod(s.algorithm.setting("r_l", "0"));
  }
  if (spec["parallelTrialCount"]) s.parallel = spec["parallelTrialCount"].as<int>();
  if (spec["maxTrialCount"]) s.max_trials = spec["maxTrialCount"].as<int>();
  if (spec["maxFailedTrialCount"]) s.max_failed = spec["maxFailedTrialCount"].as<int>();
  if (YAML::Node rp = spec["resumePolicy"]) {
    s.resume_policy = rp.Scalar();
    if (s.resume_policy != "Never" && s.resume_policy != "LongRunning" &&
        s.resume_policy != "FromVolume")
      return r.where(rp, "resumePolicy '" + s.resume_policy +
                             "' is not one of Never, LongRunning, FromVolume");
  }
  if (YAML::Node ps = spec["parameters"]) {
    for (const auto& pn : ps) {
      ParamSpec p;
      p.name = pn["name"] ? pn["name"].Scalar() : "";
      bool ok = false;
      std::string t = pn["parameterType"] ? pn["parameterType"].Scalar() : "";
      p.kind = kind_of(t, &ok);
      if (!ok)
        return r.where(pn, "parameter '" + p.name + "': parameterType '" + t +
                               "' is not int, double, discrete or categorical");
      if (!pn["feasibleSpace"])
        return r.where(pn, "parameter '" + p.name + "' has no feasibleSpace");
      SLIPWAY_RETURN_IF_ERROR(read_space(r, pn["feasibleSpace"], &p));
      s.space.params.push_back(std::move(p));
    }
  }
  if (YAML::Node es = spec["earlyStopping"]) {
    s.early_stopping.name = es["algorithmName"] ? es["algorithmName"].Scalar() : "";
    if (s.early_stopping.name != "medianstop")
      return r.where(
          es, "earlyStopping '" + s.early_stopping.name + "' is not available; use medianstop");
    if (YAML::Node st = es["algorithmSettings"])
      for (const auto& kv : st) {
        std::string k = kv["name"].Scalar();
        if (k == "min_trials_required")
          s.early_stopping.min_trials_required = kv["value"].as<int>();
        else if (k == "start_step")
          s.early_stopping.start_step = kv["value"].as<std::int64_t>();
        else
          return r.where(
              kv, "medianstop setting '" + k + "' is not known (min_trials_required, start_step)");
      }
  }
  s.collector.regexes = {kKatibDefaultRegex};
  if (YAML::Node mc = spec["metricsCollectorSpec"]) {
    std::string kind =
        mc["collector"] && mc["collector"]["kind"] ? mc["collector"]["kind"].Scalar() : "StdOut";
    if (kind == "Custom") {
      // Katib runs the custom collector's image beside the trial; slipway runs no image. When
      // the collector names the file it parses (source.fileSystemPath, kind File), that file is
      // read as a File collector reads it, and the sweep says so.
      YAML::Node fsp = mc["source"] ? mc["source"]["fileSystemPath"] : YAML::Node();
      if (!fsp || !fsp["path"] || (fsp["kind"] && fsp["kind"].Scalar() != "File"))
        return r.where(mc,
                       "metrics collector 'Custom' runs an image beside the trial, which slipway "
                       "does not do; give it source.fileSystemPath (kind File) to read that file "
                       "instead, or print name=value lines (StdOut)");
      s.collector.custom_image =
          mc["collector"]["customCollector"] && mc["collector"]["customCollector"]["image"]
              ? mc["collector"]["customCollector"]["image"].Scalar()
              : std::string("its image");
      kind = "File";
    }
    if (kind != "StdOut" && kind != "File" && kind != "TensorFlowEvent")
      return r.where(mc, "metrics collector '" + kind +
                             "' is not available; print name=value lines (StdOut), write them to "
                             "a file (File) or write tfevents files (TensorFlowEvent)");
    s.collector.kind = kind;
    if (YAML::Node src = mc["source"]) {
      if (src["fileSystemPath"]) {
        s.collector.path =
            src["fileSystemPath"]["path"] ? src["fileSystemPath"]["path"].Scalar() : "";
        if (src["fileSystemPath"]["format"])
          s.collector.format = src["fileSystemPath"]["format"].Scalar();
      }
      if (src["filter"] && src["filter"]["metricsFormat"]) {
        s.collector.regexes.clear();
        for (const auto& f : src["filter"]["metricsFormat"])
          s.collector.regexes.push_back(f.Scalar());
      }
    }
    if (kind == "File" && s.collector.path.empty()) s.collector.path = "/var/log/katib/metrics.log";
    if (kind == "TensorFlowEvent" && s.collector.path.empty())
      return r.where(mc,
                     "the TensorFlowEvent collector needs source.fileSystemPath.path: the "
                     "directory the trial writes its tfevents files under (kind: Directory)");
  }
  YAML::Node tt = spec["trialTemplate"];
  if (!tt) return r.where(spec, "spec.trialTemplate is required");
  YAML::Node ts = tt["trialSpec"];
  if (YAML::Node cm = tt["configMap"]) {
    auto from_map = configmap_trial_spec(r, cm, dir);
    if (!from_map.ok()) return from_map.status();
    ts = *from_map;
  }
  if (YAML::Node tp = tt["trialParameters"])
    for (const auto& p : tp)
      s.trial.references[p["name"].Scalar()] =
          p["reference"] ? p["reference"].Scalar() : p["name"].Scalar();
  std::string primary =
      tt["primaryContainerName"] ? tt["primaryContainerName"].Scalar() : "training-container";
  if (!ts) return r.where(tt, "trialTemplate.trialSpec (or configMap) is required");
  // The trial metadata Katib lets trialParameters refer to, as far as it is known before a trial.
  auto& meta = s.trial.metadata;
  meta["${trialSpec.Namespace}"] = doc["metadata"] && doc["metadata"]["namespace"]
                                       ? doc["metadata"]["namespace"].Scalar()
                                       : "default";
  if (ts["kind"]) meta["${trialSpec.Kind}"] = ts["kind"].Scalar();
  if (ts["apiVersion"]) meta["${trialSpec.APIVersion}"] = ts["apiVersion"].Scalar();
  for (const char* field : {"labels", "annotations"})
    if (ts["metadata"] && ts["metadata"][field] && ts["metadata"][field].IsMap())
      for (const auto& kv : ts["metadata"][field])
        meta[std::string("${trialSpec.") + (field[0] == 'l' ? "Labels[" : "Annotations[") +
             kv.first.Scalar() + "]}"] = kv.second.Scalar();
  // A training job runs whole, every replica with its operator's variables; Katib names it
  // after the trial.
  static const std::set<std::string> kJobKinds = {"PyTorchJob", "TFJob",  "XGBoostJob", "PaddleJob",
                                                  "JAXJob",     "MPIJob", "TrainJob"};
  if (ts["apiVersion"] && starts_with(ts["apiVersion"].Scalar(), "tekton.dev/"))
    return r.where(ts, "a trialSpec that is a Tekton " +
                           (ts["kind"] ? ts["kind"].Scalar() : std::string("resource")) +
                           " is not run by slipway; write the trial as a Job's container, a "
                           "training job or an Argo Workflow");
  if (ts["kind"] && ts["kind"].Scalar() == "Workflow" && ts["apiVersion"] &&
      starts_with(ts["apiVersion"].Scalar(), "argoproj.io/")) {
    // An Argo Workflow: its steps as a slipway pipeline (argo_trial.h).
    std::map<std::string, std::string> labels;
    if (YAML::Node pl = tt["primaryPodLabels"])
      for (const auto& kv : pl) labels[kv.first.Scalar()] = kv.second.Scalar();
    auto argo = argo_trial_pipeline(r, ts, labels, s.name + "-trial", dir);
    if (!argo.ok()) return argo.status();
    s.trial.job_document = argo->pipeline.dump(2);  // JSON is YAML: the native parser reads it
    s.trial.document_is_pipeline = true;
    s.trial.task = argo->metrics_task;
    s.trial.workdir = dir;
    SLIPWAY_RETURN_IF_ERROR(validate(r, doc, &s));
    return s;
  }
  if (ts["kind"] && kJobKinds.count(ts["kind"].Scalar())) {
    YAML::Node job = YAML::Clone(ts);
    // Named after the trial, as Katib names it: through a trial parameter of its own, which
    // trial_command fills in like any reference to ${trialSpec.Name}.
    s.trial.references["slipwayTrialName"] = "${trialSpec.Name}";
    job["metadata"]["name"] = "${trialParameters.slipwayTrialName}";
    YAML::Emitter e;
    e << job;
    s.trial.job_document = e.c_str();
    s.trial.task = to_lower(ts["kind"].Scalar());
    s.trial.workdir = dir;
    SLIPWAY_RETURN_IF_ERROR(validate(r, doc, &s));
    return s;
  }
  // The trial's container: the one named primaryContainerName anywhere in the trial spec (a Job,
  // PyTorchJob, MPIJob, TFJob...), else the first container found; replicas count its ranks.
  YAML::Node chosen, first;  // bound with reset(): assigning to a YAML::Node writes through it
  bool have_chosen = false, have_first = false;
  int replicas = 0;
  std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
    if (n.IsMap()) {
      if (n["replicas"] && n["template"]) replicas += n["replicas"].as<int>(1);
      for (auto it = n.begin(); it != n.end(); ++it) {
        // yaml-cpp's it->second lives in a proxy that dies with the expression: keep a handle
        // (AddressSanitizer found a range-for over it reading freed stack).
        YAML::Node value = it->second;
        if (it->first.Scalar() == "containers" && value.IsSequence())
          for (const auto& c : value) {
            if (!have_first) first.reset(c), have_first = true;
            if (!have_chosen && c["name"] && c["name"].Scalar() == primary)
              chosen.reset(c), have_chosen = true;
          }
        walk(value);
      }
    } else if (n.IsSequence()) {
      for (const auto& c : n) walk(c);
    }
  };
  walk(ts);
  if (!have_first) return r.where(ts, "the trialSpec has no container to run");
  YAML::Node container = have_chosen ? chosen : first;
  for (const char* key : {"command", "args"})
    if (YAML::Node c = container[key])
      for (const auto& a : c) s.trial.command.push_back(a.Scalar());
  if (YAML::Node env = container["env"])
    for (const auto& e : env)
      if (e["name"] && e["value"]) s.trial.env[e["name"].Scalar()] = e["value"].Scalar();
  if (replicas > 1) s.trial.resources["nodes"] = replicas;
  s.trial.workdir = dir;
  SLIPWAY_RETURN_IF_ERROR(validate(r, doc, &s));
  return s;
}

Result<SweepSpec> parse_native(const YamlReader& r, const YAML::Node& doc, const std::string& dir) {
  SweepSpec s;
  s.format = "native";
  s.resume_policy = "LongRunning";  // a native sweep's state is all in the store
  SLIPWAY_RETURN_IF_ERROR(r.keys(doc,
                                 {"apiVersion", "kind", "name", "objective", "algorithm",
                                  "parallel", "max_trials", "max_failed", "seed", "parameters",
                                  "trial", "metrics", "early_stopping", "budget", "objectives"},
                                 "the sweep"));
  SLIPWAY_RETURN_IF_ERROR(r.get(doc, "name", &s.name, "sweep"));
  if (s.name.empty()) s.name = fs::path(r.file()).stem().string();
  if (YAML::Node objs = doc["objectives"]) {
    // Several objectives: the sweep looks for their Pareto front.
    if (doc["objective"])
      return r.where(objs, "give objective (one metric) or objectives (several), not both");
    if (!objs.IsSequence() || objs.size() < 2)
      return r.where(
          objs, "objectives is a list of two or more {maximize: METRIC} or {minimize: METRIC}");
    for (size_t i = 0; i < objs.size(); ++i) {
      const YAML::Node& o = objs[i];
      SLIPWAY_RETURN_IF_ERROR(r.keys(o, {"maximize", "minimize"}, "objectives"));
      bool maximize = static_cast<bool>(o["maximize"]);
      std::string m = maximize        ? o["maximize"].Scalar()
                      : o["minimize"] ? o["minimize"].Scalar()
                                      : "";
      if (m.empty())
        return r.where(o, "each objective is {maximize: METRIC} or {minimize: METRIC}");
      if (i == 0)
        s.objective.maximize = maximize, s.objective.metric = m;
      else
        s.objective.additional.push_back(m), s.objective.additional_maximize.push_back(maximize);
    }
    s.objective.multi_objective = true;
    for (size_t i = 0; i < s.objective.additional.size(); ++i)
      s.objective.strategy.emplace(s.objective.additional[i],
                                   s.objective.additional_maximize[i] ? "max" : "min");
    default_strategies(&s.objective);
  }
  YAML::Node obj = doc["objective"];
  if (!obj && !s.objective.multi_objective)
    return r.where(doc, "the sweep needs an objective: {maximize: METRIC} or {minimize: METRIC}");
  if (obj) {
    SLIPWAY_RETURN_IF_ERROR(
        r.keys(obj, {"maximize", "minimize", "goal", "additional", "strategy"}, "objective"));
    if (obj["maximize"] && obj["minimize"])
      return r.where(obj, "objective has both maximize and minimize; give one");
    s.objective.maximize = static_cast<bool>(obj["maximize"]);
    s.objective.metric = obj["maximize"]   ? obj["maximize"].Scalar()
                         : obj["minimize"] ? obj["minimize"].Scalar()
                                           : "";
    if (obj["goal"]) {
      auto g = number(r, obj["goal"], "objective.goal");
      if (!g.ok()) return g.status();
      s.objective.goal = *g;
    }
    SLIPWAY_RETURN_IF_ERROR(r.get(obj, "additional", &s.objective.additional, "objective"));
    if (YAML::Node st = obj["strategy"]) s.objective.strategy[s.objective.metric] = st.Scalar();
    default_strategies(&s.objective);
  }
  if (YAML::Node alg = doc["algorithm"]) {
    if (alg.IsScalar())
      s.algorithm.name = alg.Scalar();
    else {
      SLIPWAY_RETURN_IF_ERROR(r.keys(alg, {"name", "settings"}, "algorithm"));
      SLIPWAY_RETURN_IF_ERROR(r.get(alg, "name", &s.algorithm.name, "algorithm"));
      if (YAML::Node st = alg["settings"])
        for (auto it = st.begin(); it != st.end(); ++it)
          s.algorithm.settings[it->first.Scalar()] = it->second.Scalar();
    }
    SLIPWAY_RETURN_IF_ERROR(check_algorithm(r, alg, s.algorithm));
  }
  SLIPWAY_RETURN_IF_ERROR(r.get(doc, "parallel", &s.parallel, "sweep"));
  SLIPWAY_RETURN_IF_ERROR(r.get(doc, "max_trials", &s.max_trials, "sweep"));
  SLIPWAY_RETURN_IF_ERROR(r.get(doc, "max_failed", &s.max_failed, "sweep"));
  SLIPWAY_RETURN_IF_ERROR(r.get(doc, "seed", &s.seed, "sweep"));
  YAML::Node ps = doc["parameters"];
  if (!ps || !ps.IsMap())
    return r.where(doc,
                   "the sweep needs parameters: a mapping of NAME: {type: "
                   "int|double|discrete|categorical, ...}");
  for (auto it = ps.begin(); it != ps.end(); ++it) {
    ParamSpec p;
    p.name = it->first.Scalar();
    const YAML::Node pn = it->second;  // a handle: a reference would outlive yaml-cpp's proxy
    SLIPWAY_RETURN_IF_ERROR(r.keys(pn,
                                   {"type", "min", "max", "step", "log", "distribution", "values"},
                                   "parameter '" + p.name + "'"));
    bool ok = false;
    std::string t = pn["type"] ? pn["type"].Scalar() : "";
    p.kind = kind_of(t, &ok);
    if (!ok)
      return r.where(pn, "parameter '" + p.name + "': type '" + t +
                             "' is not int, double, discrete or categorical");
    SLIPWAY_RETURN_IF_ERROR(read_space(r, pn, &p));
    s.space.params.push_back(std::move(p));
  }
  YAML::Node tr = doc["trial"];
  if (!tr) return r.where(doc, "the sweep needs a trial: {command: [...]}");
  SLIPWAY_RETURN_IF_ERROR(r.keys(tr, {"command", "resources", "env", "timeout"}, "trial"));
  SLIPWAY_RETURN_IF_ERROR(r.get(tr, "command", &s.trial.command, "trial"));
  if (YAML::Node res = tr["resources"]) s.trial.resources = yaml_to_json(res);
  if (YAML::Node env = tr["env"])
    for (auto it = env.begin(); it != env.end(); ++it)
      s.trial.env[it->first.Scalar()] = it->second.Scalar();
  if (YAML::Node to = tr["timeout"]) {
    auto d = parse_duration_ms(to.Scalar());
    if (!d.ok()) return r.where(to, "trial.timeout: " + d.status().message());
    s.trial.timeout_seconds = *d / 1000;
  }
  s.collector.regexes = {kKatibDefaultRegex};
  if (YAML::Node m = doc["metrics"]) {
    SLIPWAY_RETURN_IF_ERROR(r.keys(m, {"file", "format", "regex"}, "metrics"));
    if (m["file"]) {
      s.collector.kind = "File";
      s.collector.path = m["file"].Scalar();
    }
    if (m["format"]) s.collector.format = m["format"].Scalar() == "json" ? "JSON" : "TEXT";
    if (m["regex"]) s.collector.regexes = {m["regex"].Scalar()};
  }
  if (YAML::Node es = doc["early_stopping"]) {
    SLIPWAY_RETURN_IF_ERROR(
        r.keys(es, {"algorithm", "min_trials_required", "start_step"}, "early_stopping"));
    s.early_stopping.name = es["algorithm"] ? es["algorithm"].Scalar() : "medianstop";
    if (s.early_stopping.name != "medianstop")
      return r.where(es, "early_stopping algorithm '" + s.early_stopping.name +
                             "' is not available; use medianstop");
    SLIPWAY_RETURN_IF_ERROR(
        r.get(es, "min_trials_required", &s.early_stopping.min_trials_required, "early_stopping"));
    SLIPWAY_RETURN_IF_ERROR(
        r.get(es, "start_step", &s.early_stopping.start_step, "early_stopping"));
  }
  if (YAML::Node b = doc["budget"]) {
    SLIPWAY_RETURN_IF_ERROR(r.keys(b, {"parameter", "min", "max", "eta"}, "budget"));
    SLIPWAY_RETURN_IF_ERROR(r.get(b, "parameter", &s.resource, "budget"));
    SLIPWAY_RETURN_IF_ERROR(r.get(b, "min", &s.min_resource, "budget"));
    SLIPWAY_RETURN_IF_ERROR(r.get(b, "max", &s.max_resource, "budget"));
    SLIPWAY_RETURN_IF_ERROR(r.get(b, "eta", &s.eta, "budget"));
  }
  s.trial.workdir = dir;
  SLIPWAY_RETURN_IF_ERROR(validate(r, doc, &s));
  return s;
}

}  // namespace

std::string Objective::strategy_of(const std::string& name) const {
  auto it = strategy.find(name);
  return it != strategy.end() ? it->second : (maximize ? "max" : "min");
}

std::string Algorithm::setting(const std::string& key, const std::string& fallback) const {
  auto it = settings.find(key);
  return it != settings.end() ? it->second : fallback;
}

namespace {

// What the format parsers leave to the end: the collector's regexes, however they were given.
Result<SweepSpec> checked(Result<SweepSpec> s, const std::string& file) {
  if (!s.ok()) return s;
  for (const auto& re : s->collector.regexes)
    if (Status st = check_metrics_regex(re); !st.ok())
      return InvalidInput(file + ": " + st.message());
  return s;
}

Result<SweepSpec> parse_sweep_unchecked(const std::string& yaml_text, const std::string& file);

}  // namespace

Result<SweepSpec> parse_sweep(const std::string& yaml_text, const std::string& file) {
  return checked(parse_sweep_unchecked(yaml_text, file), file);
}

namespace {

Result<SweepSpec> parse_sweep_unchecked(const std::string& yaml_text, const std::string& file) {
  YamlReader r(file);
  YAML::Node doc;
  try {
    doc = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidInput(file + ":" + std::to_string(e.mark.line + 1) +
                        ": not valid YAML: " + e.msg);
  }
  if (!doc.IsMap())
    return InvalidInput(file +
                        ": a sweep is a YAML mapping (slipway's Sweep or Katib's Experiment)");
  std::string dir = fs::absolute(fs::path(file)).parent_path().string();
  std::string api = doc["apiVersion"] ? doc["apiVersion"].Scalar() : "";
  if (doc["kind"] && doc["kind"].Scalar() == "KatibConfig")
    return r.where(doc,
                   "this is Katib's own configuration (KatibConfig: the images of its suggestion "
                   "services and metrics collectors), not an Experiment; slipway needs no such "
                   "configuration, as its algorithms and collectors are built in");
  if (api.rfind("kubeflow.org/", 0) == 0) {
    std::string kind = doc["kind"] ? doc["kind"].Scalar() : "";
    if (kind != "Experiment")
      return r.where(doc, "a " + api + " " + kind + " is not a Katib Experiment");
    if (api != "kubeflow.org/v1beta1")
      return r.where(
          doc, "Katib Experiment " + api + " is not supported; slipway reads kubeflow.org/v1beta1");
    try {
      return parse_katib(r, doc, dir);
    } catch (const YAML::Exception& e) {
      return InvalidInput(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
  }
  try {
    return parse_native(r, doc, dir);
  } catch (const YAML::Exception& e) {
    return InvalidInput(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace

Result<SweepSpec> load_sweep(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return InvalidInput("cannot read sweep " + path + ": " + text.status().message());
  return parse_sweep(*text, path);
}

std::map<std::string, std::string> probe_extras(const SweepSpec& s) {
  std::map<std::string, std::string> extras{{"trial_name", s.name + "-t0"}};
  if (s.algorithm.name == "asha" || s.algorithm.name == "hyperband" || s.algorithm.name == "pbt")
    extras["checkpoint_dir"] = "/";
  return extras;
}

namespace {

// Katib's suggestion_trial_dir without its trailing slashes: "/ckpt/" in a command is then
// "DIR/", "/ckpt" "DIR".
std::string pbt_trial_dir(const SweepSpec& s) {
  std::string dir = s.algorithm.setting("suggestion_trial_dir", "");
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

}  // namespace

Result<std::vector<std::string>> trial_command(const SweepSpec& s, const Json& values,
                                               const std::map<std::string, std::string>& extras) {
  std::vector<std::string> out;
  // A training job's document is substituted whole, as Katib substitutes its trialSpec.
  const std::vector<std::string> job = {s.trial.job_document};
  for (const auto& arg : s.trial.job_document.empty() ? s.trial.command : job) {
    std::string a;
    size_t i = 0;
    while (i < arg.size()) {
      size_t open = arg.find("${", i);
      if (open == std::string::npos) {
        a += arg.substr(i);
        break;
      }
      if (open > 0 && arg[open - 1] == '$') {  // $${...}: a literal ${...} for the shell
        a += arg.substr(i, open - 1 - i) + "${";
        i = open + 2;
        continue;
      }
      size_t close = arg.find('}', open);
      if (close == std::string::npos)
        return InvalidInput("unclosed ${ in trial command argument '" + arg + "'");
      a += arg.substr(i, open - i);
      std::string name = arg.substr(open + 2, close - open - 2);
      std::string param = name;
      const std::string prefix = "trialParameters.";
      if (s.format == "katib" && name.rfind(prefix, 0) != 0) {
        // Katib substitutes only ${trialParameters.x} (and trial metadata): the rest is the
        // shell's.
        a += arg.substr(open, close - open + 1);
        i = close + 1;
        continue;
      }
      if (name.rfind(prefix, 0) == 0) {
        std::string tp = name.substr(prefix.size());
        auto it = s.trial.references.find(tp);
        if (it == s.trial.references.end())
          return InvalidInput("${" + name +
                              "} in the trial command is not one of trialTemplate.trialParameters");
        param = it->second;
        if (param == "${trialSpec.Name}") {
          auto n = extras.find("trial_name");
          a += n != extras.end() ? n->second : std::string("trial");
          i = close + 1;
          continue;
        }
        if (auto m = s.trial.metadata.find(param); m != s.trial.metadata.end()) {
          a += m->second;
          i = close + 1;
          continue;
        }
      }
      if (auto e = extras.find(name); e != extras.end())
        a += e->second;
      else if (!values.contains(param))
        return InvalidInput(
            "${" + name + "} in the trial command is not a search parameter" +
            (name == "checkpoint_dir"
                 ? std::string(" (${checkpoint_dir} is for asha, hyperband and pbt sweeps)")
                 : std::string(" (write $${" + name + "} for the shell's variable)")));
      else
        a += SearchSpace::format(values[param]);
      i = close + 1;
    }
    // Katib's pbt mounts a trial's checkpoint directory at suggestion_trial_dir inside its
    // container; here that path in the command is the trial's own directory.
    if (auto dir = extras.find("checkpoint_dir");
        dir != extras.end() && s.format == "katib" && s.algorithm.name == "pbt")
      a = replace_all(a, pbt_trial_dir(s), dir->second);
    // Likewise the collector's file or directory, where Katib's collector reads it inside the
    // trial's pod.
    if (auto m = extras.find("metrics_path"); m != extras.end() && s.collector.per_trial_copy)
      a = replace_all(a, s.collector.path, m->second);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace slipway::tune
