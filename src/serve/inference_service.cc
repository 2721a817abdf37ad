#include "serve/inference_service.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "core/files.h"
#include "core/strings.h"
#include "core/units.h"
#include "core/yaml_json.h"

namespace slipway::serve {

namespace {

// The formats the daemon runs, and why each other one KServe knows is refused.
const std::set<std::string> kServed = {"sklearn", "xgboost", "lightgbm", "onnx", "pytorch"};
const std::map<std::string, std::string> kRefused = {
    {"tensorflow",
     "TensorFlow SavedModels need TensorFlow Serving; export the model to ONNX (tf2onnx) and "
     "serve it with modelFormat onnx"},
    {"triton",
     "Triton's runtime serves a Triton model repository; serve its ONNX or TorchScript models "
     "directly with modelFormat onnx or pytorch"},
    {"huggingface",
     "Hugging Face LLM and transformer runtimes (vLLM) need a GPU model server; slipway serve "
     "runs tabular and tensor models"},
    {"paddle", "PaddlePaddle models need Paddle Inference; export to ONNX (paddle2onnx)"},
    {"pmml", "PMML models need a JVM evaluator; export the model to ONNX"},
    {"mlflow",
     "MLflow models are served through MLServer; save the model itself "
     "(model.joblib, model.onnx) and name its format"},
};

// Predictor fields that shape Kubernetes pods: applied by `models deploy --backend k8s` (the
// file goes to the cluster as written), meaningless for local worker processes.
const std::set<std::string> kPodOnly = {
    "serviceAccountName",   "nodeSelector",      "tolerations",      "affinity",
    "imagePullSecrets",     "volumes",           "annotations",      "labels",
    "deploymentStrategy",   "priorityClassName", "schedulerName",    "securityContext",
    "hostNetwork",          "dnsPolicy",         "runtimeClassName", "topologySpreadConstraints",
    "containerConcurrency", "autoScaling"};
// Fields of the model container that belong to its image: slipway runs its own runtime.
const std::set<std::string> kContainerOnly = {
    "image",          "args",          "command",        "ports",
    "readinessProbe", "livenessProbe", "startupProbe",   "imagePullPolicy",
    "volumeMounts",   "name",          "runtimeVersion", "securityContext",
    "workingDir"};

class Reader {
 public:
  Reader(std::string path) : path_(std::move(path)) {}

  std::string at(const YAML::Node& n) const {
    return path_ + ":" + std::to_string(n.Mark().line + 1);
  }

  Status refuse(const YAML::Node& n, const std::string& why) const {
    return InvalidInput(at(n) + ": " + why);
  }

  Result<InferenceService> document(const YAML::Node& doc) {
    InferenceService s;
    s.where = at(doc);
    if (!doc.IsMap()) return refuse(doc, "a resource is a mapping with apiVersion and kind");
    const std::string kind = doc["kind"] ? doc["kind"].Scalar() : "";
    if (kind != "InferenceService")
      return refuse(doc, (kind.empty() ? std::string("the document has no kind")
                                       : "kind " + kind + " is not an InferenceService") +
                             "; slipway serve -f reads serving.kserve.io InferenceService "
                             "resources" +
                             (kind == "LLMInferenceService"
                                  ? " (LLM services need a GPU model server such as vLLM)"
                                  : ""));
    const std::string api = doc["apiVersion"] ? doc["apiVersion"].Scalar() : "";
    if (api.rfind("serving.kserve.io/", 0) != 0 && api.rfind("serving.kubeflow.org/", 0) != 0)
      return refuse(doc, "apiVersion '" + api + "' is not serving.kserve.io/v1beta1");
    const YAML::Node meta = doc["metadata"];
    if (!meta || !meta.IsMap() || !meta["name"] || meta["name"].Scalar().empty())
      return refuse(doc, "metadata.name is missing: it names the served model");
    s.name = meta["name"].Scalar();
    if (meta["namespace"]) s.namespace_ = meta["namespace"].Scalar();
    const YAML::Node spec = doc["spec"];
    if (!spec || !spec.IsMap())
      return refuse(doc, "spec is missing: an InferenceService needs spec.predictor");
    for (const auto& kv : spec) {
      const std::string k = kv.first.Scalar();
      if (k == "predictor") continue;
      if (k == "transformer" || k == "explainer")
        return refuse(kv.first, "spec." + k +
                                    " runs a custom container around the predictor; slipway serve "
                                    "runs the predictor alone (put pre- and post-processing in "
                                    "the pipeline, or serve the transformer separately)");
      return refuse(kv.first, "spec." + k + " is not an InferenceService field slipway knows");
    }
    const YAML::Node predictor = spec["predictor"];
    if (!predictor || !predictor.IsMap()) return refuse(spec, "spec.predictor is missing");
    SLIPWAY_RETURN_IF_ERROR(read_predictor(predictor, &s));
    return s;
  }

 private:
  Status read_int(const YAML::Node& n, const std::string& field, int lo, int hi, int* out) {
    try {
      *out = n.as<int>();
    } catch (const YAML::Exception&) {
      return refuse(n, field + " must be an integer, got '" + n.Scalar() + "'");
    }
    if (*out < lo || *out > hi)
      return refuse(n, field + " must be between " + std::to_string(lo) + " and " +
                           std::to_string(hi) + ", got " + std::to_string(*out));
    return Status::Ok();
  }

  Status read_predictor(const YAML::Node& p, InferenceService* s) {
    PredictorSpec& ps = s->predictor;
    YAML::Node model, containers;
    std::string model_key;
    for (const auto& kv : p) {
      const std::string k = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      const std::string field = "spec.predictor." + k;
      int n = 0;
      if (k == "model" || kServed.count(k) || kRefused.count(k) || k == "custom") {
        if (!model_key.empty())
          return refuse(kv.first, field + ": the predictor already names its model at " +
                                      at(model) + "; give one");
        model.reset(v);  // rebinds (operator= would assign into the node)
        model_key = k;
      } else if (k == "containers") {
        if (!v.IsSequence() || v.size() != 1)
          return refuse(kv.first, field +
                                      ": slipway runs a custom predictor of one container "
                                      "(sidecars need a pod: deploy with --backend k8s)");
        containers.reset(v);
      } else if (k == "minReplicas") {
        SLIPWAY_RETURN_IF_ERROR(read_int(v, field, 0, 1024, &ps.min_replicas));
      } else if (k == "maxReplicas") {
        SLIPWAY_RETURN_IF_ERROR(read_int(v, field, 1, 1024, &ps.max_replicas));
      } else if (k == "scaleTarget") {
        SLIPWAY_RETURN_IF_ERROR(read_int(v, field, 1, 1 << 20, &ps.scale_target));
      } else if (k == "scaleMetric") {
        ps.scale_metric = v.Scalar();
        if (ps.scale_metric != "concurrency")
          s->warnings.push_back(at(v) + ": " + field + " " + ps.scale_metric +
                                ": slipway scales workers on concurrency; scaleTarget is read as "
                                "concurrent requests per worker");
      } else if (k == "canaryTrafficPercent") {
        SLIPWAY_RETURN_IF_ERROR(read_int(v, field, 0, 100, &n));
        ps.canary_traffic_percent = n;
      } else if (k == "timeout") {
        SLIPWAY_RETURN_IF_ERROR(read_int(v, field, 1, 86400, &n));
        ps.timeout_seconds = n;
      } else if (k == "batcher") {
        SLIPWAY_RETURN_IF_ERROR(read_batcher(v, &ps));
      } else if (k == "logger") {
        SLIPWAY_RETURN_IF_ERROR(read_logger(v, &ps));
      } else if (kPodOnly.count(k)) {
        s->warnings.push_back(at(kv.first) + ": " + field +
                              " places Kubernetes pods: applied by `models deploy --backend k8s`, "
                              "not by local or Slurm serving");
      } else if (k == "workerSpec") {
        return refuse(kv.first, field +
                                    ": multi-node serving (Ray workers) is for LLM runtimes; "
                                    "slipway serve runs a model per process");
      } else {
        return refuse(kv.first, field + " is not a predictor field slipway knows");
      }
    }
    if (containers.IsDefined() && !containers.IsNull() && !model_key.empty())
      return refuse(containers, "spec.predictor.containers overrides the " + model_key +
                                    " runtime's container (its image, command or resources); "
                                    "slipway runs its own runtime: drop containers, or serve "
                                    "the image's Python file as a custom predictor");
    if (containers.IsDefined() && !containers.IsNull()) return read_custom(containers[0], s);
    if (model_key.empty())
      return refuse(p,
                    "spec.predictor names no model: give predictor.model (modelFormat, "
                    "storageUri) or a framework key such as predictor.sklearn");
    if (model_key == "custom")
      return refuse(model,
                    "spec.predictor.custom runs a custom container; slipway serve runs "
                    "sklearn, xgboost, lightgbm, onnx and pytorch models itself");
    if (!model.IsMap()) return refuse(model, "spec.predictor." + model_key + " must be a mapping");
    std::string format = model_key;
    if (model_key == "model") {
      const YAML::Node mf = model["modelFormat"];
      if (!mf || !mf.IsMap() || !mf["name"])
        return refuse(model,
                      "spec.predictor.model.modelFormat.name is missing (sklearn, xgboost, "
                      "lightgbm, onnx, pytorch)");
      format = to_lower(mf["name"].Scalar());
      for (const auto& kv : mf)
        if (kv.first.Scalar() == "version")
          s->warnings.push_back(at(kv.first) +
                                ": modelFormat.version: the runtime's environment has its own "
                                "framework version; a model saved by another may not load");
        else if (kv.first.Scalar() != "name")
          return refuse(kv.first, "modelFormat." + kv.first.Scalar() + " is not a field");
    }
    const YAML::Node where = model_key == "model" ? model["modelFormat"] : model;
    if (auto r = kRefused.find(format); r != kRefused.end())
      return refuse(where, "model format " + format + " is not served here: " + r->second);
    if (!kServed.count(format))
      return refuse(where, "model format '" + format +
                               "' is not one slipway serves (sklearn, xgboost, lightgbm, onnx, "
                               "pytorch)");
    ps.format = format;
    for (const auto& kv : model) {
      const std::string k = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      const std::string field = "spec.predictor." + model_key + "." + k;
      if (k == "modelFormat") continue;
      if (k == "storageUri") {
        ps.storage_uri = v.Scalar();
      } else if (k == "protocolVersion") {
        ps.protocol_version = v.Scalar();
        if (ps.protocol_version != "v1" && ps.protocol_version != "v2")
          return refuse(v, field + " must be v1 or v2, got '" + ps.protocol_version + "'");
      } else if (k == "resources") {
        SLIPWAY_RETURN_IF_ERROR(read_resources(v, field, &ps));
      } else if (k == "env") {
        SLIPWAY_RETURN_IF_ERROR(read_env(v, field, &ps));
      } else if (k == "runtime") {
        const std::string rt = v.Scalar();
        if (rt.rfind("kserve-", 0) != 0)
          s->warnings.push_back(at(v) + ": " + field + " " + rt + ": slipway runs " + format +
                                " models with its own runtime, not this ServingRuntime");
      } else if (k == "storage") {
        return refuse(kv.first, field +
                                    " reads a storage secret key; give storageUri with a "
                                    "local path, file:// or pvc:// instead");
      } else if (kContainerOnly.count(k)) {
        s->warnings.push_back(at(kv.first) + ": " + field +
                              " belongs to KServe's container; slipway's own " + format +
                              " runtime is used");
      } else {
        return refuse(kv.first, field + " is not a model field slipway knows");
      }
    }
    if (ps.storage_uri.empty())
      return refuse(model, "spec.predictor." + model_key +
                               ".storageUri is missing: it says where "
                               "the model files are");
    if (ps.min_replicas > ps.max_replicas)
      return refuse(p, "minReplicas (" + std::to_string(ps.min_replicas) +
                           ") is above maxReplicas (" + std::to_string(ps.max_replicas) + ")");
    return Status::Ok();
  }

  // predictor.containers[0]: a KServe custom predictor's container.
  Status read_custom(const YAML::Node& c, InferenceService* s) {
    PredictorSpec& ps = s->predictor;
    const std::string field = "spec.predictor.containers[0]";
    if (!c.IsMap() || !c["image"] || c["image"].Scalar().empty())
      return refuse(c, field + " needs an image");
    ps.format = "custom";
    ps.image = c["image"].Scalar();
    for (const auto& kv : c) {
      const std::string k = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (k == "image" || k == "name") continue;
      if (k == "resources") {
        SLIPWAY_RETURN_IF_ERROR(read_resources(v, field + ".resources", &ps));
      } else if (k == "env") {
        SLIPWAY_RETURN_IF_ERROR(read_env(v, field + ".env", &ps));
      } else if (kContainerOnly.count(k)) {
        s->warnings.push_back(at(kv.first) + ": " + field + "." + k +
                              ": slipway runs the image's Python file (its kserve.Model) "
                              "itself, not the image's entrypoint");
      } else {
        return refuse(kv.first, field + "." + k + " is not a container field slipway knows");
      }
    }
    if (ps.min_replicas > ps.max_replicas)
      return refuse(c, "minReplicas (" + std::to_string(ps.min_replicas) +
                           ") is above maxReplicas (" + std::to_string(ps.max_replicas) + ")");
    return Status::Ok();
  }

  Status read_env(const YAML::Node& v, const std::string& field, PredictorSpec* ps) {
    if (!v.IsSequence()) return refuse(v, field + " must be a list of {name, value}");
    for (const auto& e : v) {
      if (!e.IsMap() || !e["name"]) return refuse(e, field + ": each entry needs a name");
      if (e["valueFrom"])
        return refuse(e, field + " " + e["name"].Scalar() +
                             ": valueFrom reads Kubernetes secrets and config maps; give a value");
      ps->env.emplace_back(e["name"].Scalar(), e["value"] ? e["value"].Scalar() : "");
    }
    return Status::Ok();
  }

  Status read_batcher(const YAML::Node& v, PredictorSpec* ps) {
    if (!v.IsMap()) return refuse(v, "spec.predictor.batcher must be a mapping");
    for (const auto& kv : v) {
      const std::string k = kv.first.Scalar();
      int n = 0;
      if (k == "maxBatchSize") {
        SLIPWAY_RETURN_IF_ERROR(read_int(kv.second, "batcher.maxBatchSize", 1, 1 << 16, &n));
        ps->batch_max_size = n;
      } else if (k == "maxLatency") {
        SLIPWAY_RETURN_IF_ERROR(read_int(kv.second, "batcher.maxLatency", 0, 600'000, &n));
        ps->batch_max_latency_ms = n;
      } else if (k == "timeout") {
        SLIPWAY_RETURN_IF_ERROR(read_int(kv.second, "batcher.timeout", 1, 86400, &n));
        if (!ps->timeout_seconds) ps->timeout_seconds = n;
      } else {
        return refuse(kv.first, "batcher." + k +
                                    " is not a batcher field (maxBatchSize, "
                                    "maxLatency, timeout)");
      }
    }
    return Status::Ok();
  }

  Status read_logger(const YAML::Node& v, PredictorSpec* ps) {
    if (!v.IsMap()) return refuse(v, "spec.predictor.logger must be a mapping");
    ps->logger_mode = "all";
    for (const auto& kv : v) {
      const std::string k = kv.first.Scalar();
      if (k == "mode") {
        ps->logger_mode = kv.second.Scalar();
        if (ps->logger_mode != "all" && ps->logger_mode != "request" &&
            ps->logger_mode != "response")
          return refuse(kv.second, "logger.mode must be all, request or response");
      } else if (k == "url") {
        ps->logger_url = kv.second.Scalar();
      } else if (k == "metadataHeaders") {
        continue;  // headers copied into the log record: the record carries none here
      } else {
        return refuse(kv.first, "logger." + k + " is not a logger field (mode, url)");
      }
    }
    return Status::Ok();
  }

  Status read_resources(const YAML::Node& v, const std::string& field, PredictorSpec* ps) {
    if (!v.IsMap()) return refuse(v, field + " must be a mapping (requests, limits)");
    for (const char* part : {"requests", "limits"}) {
      const YAML::Node m = v[part];
      if (!m) continue;
      if (!m.IsMap()) return refuse(m, field + "." + part + " must be a mapping");
      for (const auto& kv : m) {
        const std::string k = kv.first.Scalar();
        const bool limit = std::string(part) == "limits";
        if (k == "cpu") {
          auto c = parse_millicpus(kv.second.Scalar());
          if (!c.ok())
            return refuse(kv.second, field + "." + part + ".cpu: " + c.status().message());
          if (limit || ps->cpu_limit == 0) ps->cpu_limit = static_cast<double>(*c) / 1000;
        } else if (k == "memory") {
          auto m2 = parse_memory_bytes(kv.second.Scalar());
          if (!m2.ok())
            return refuse(kv.second, field + "." + part + ".memory: " + m2.status().message());
          if (limit) ps->memory_limit = *m2;
        } else if (k.find("gpu") != std::string::npos) {
          return refuse(kv.first,
                        field + "." + part + "." + k + ": the model runtimes here run on CPUs");
        }
      }
    }
    for (const auto& kv : v)
      if (kv.first.Scalar() != "requests" && kv.first.Scalar() != "limits")
        return refuse(kv.first, field + "." + kv.first.Scalar() + " is not a resources field");
    return Status::Ok();
  }

  std::string path_;
};

}  // namespace

Result<std::vector<InferenceService>> read_inference_services(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return text.status();
  std::vector<YAML::Node> docs;
  try {
    docs = load_yaml_documents(*text);
  } catch (const YAML::Exception& e) {
    return InvalidInput(path + ":" + std::to_string(e.mark.line + 1) +
                        ": not valid YAML: " + e.msg);
  }
  Reader reader(path);
  std::vector<InferenceService> out;
  // Other resources beside InferenceServices (an InferenceGraph over them, a ServingRuntime) are
  // named in a warning: the services still serve, what the others add does not exist here.
  std::vector<std::string> skipped;
  Status first_refusal = Status::Ok();
  for (const auto& doc : docs) {
    if (doc.IsNull()) continue;
    auto s = reader.document(doc);
    if (s.ok()) {
      out.push_back(std::move(*s));
      continue;
    }
    const bool other_kind =
        doc.IsMap() && doc["kind"] && doc["kind"].Scalar() != "InferenceService";
    if (!other_kind) return s.status();
    skipped.push_back(s.status().message() + "; skipped");
    if (first_refusal.ok()) first_refusal = s.status();
  }
  if (out.empty())
    return first_refusal.ok() ? InvalidInput(path + ": the file holds no InferenceService")
                              : first_refusal;
  for (auto& w : skipped) out.front().warnings.push_back(std::move(w));
  return out;
}

}  // namespace slipway::serve
