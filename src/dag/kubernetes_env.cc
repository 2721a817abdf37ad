#include "dag/kubernetes_env.h"

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "core/files.h"

namespace slipway::dag {

namespace fs = std::filesystem;

bool valid_local_object_name(const std::string& n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos;
}

fs::path local_objects_root(const char* env_var, const char* under_home) {
  if (const char* v = std::getenv(env_var); v && *v) return fs::absolute(v);
  return slipway_home() / under_home;
}

Result<std::string> kubernetes_object_name(const ResolveContext& ctx, const Json& entry,
                                           const char* literal_key, const char* param_key) {
  Json v = entry.contains(param_key) ? entry[param_key].value("value", Json())
                                     : entry.value(literal_key, Json());
  if (v.is_string() && v.get<std::string>().find("{{") != std::string::npos) {
    auto r = resolve_template_text(ctx, v.get<std::string>());
    if (!r.ok()) return r.status();
    v = *r;
  }
  if (!v.is_string()) return std::string();
  return v.get<std::string>();
}

namespace {

Status add_from(const ResolveContext& ctx, const Json& entries, const char* what,
                const char* env_var, const char* under_home, const char* literal_key,
                const char* param_key, const char* key_key,
                std::map<std::string, std::string>* env) {
  if (!entries.is_array()) return Status::Ok();
  for (const Json& entry : entries) {
    if (!entry.is_object()) continue;
    bool optional = entry.value("optional", false);
    auto name = kubernetes_object_name(ctx, entry, literal_key, param_key);
    if (!name.ok()) return name.status();
    if (name->empty()) {
      if (optional) continue;  // an optional name that was not given
      return InvalidInput(std::string(what) + " as env: no name given");
    }
    if (!valid_local_object_name(*name))
      return InvalidInput(std::string(what) + " name '" + *name + "' is not a valid name");
    fs::path dir = local_objects_root(env_var, under_home) / *name;
    for (const Json& k : entry.value("keyToEnv", Json::array())) {
      std::string key = k.value(key_key, ""), var = k.value("envVar", "");
      if (key.empty() || var.empty() || key.find('/') != std::string::npos) continue;
      auto value = read_file(dir / key);
      if (!value.ok()) {
        if (optional) continue;
        return InvalidInput(std::string(what) + " '" + *name + "' key '" + key +
                            "' is not here: put its value in " + (dir / key).string() +
                            " (or set " + env_var + " to the directory that holds " + what + "s)");
      }
      std::string text = *value;
      if (!text.empty() && text.back() == '\n') text.pop_back();
      (*env)[var] = text;
    }
  }
  return Status::Ok();
}

// fieldPathAsEnv: the pod fields that mean something outside Kubernetes. Labels and
// annotations are the task's podMetadata (a missing one is "", as the downward API gives), and
// the pod's name is the task instance's. Fields of a node or a cluster have no equivalent here.
Status add_field_paths(const ResolveContext& ctx, const Json& kubernetes,
                       std::map<std::string, std::string>* env) {
  const Json& fields = kubernetes.value("fieldPathAsEnv", Json());
  if (!fields.is_array()) return Status::Ok();
  Json meta = kubernetes.value("podMetadata", Json::object());
  static const std::regex kKeyed(R"re(^metadata\.(labels|annotations)\['([^']*)'\]$)re");
  for (const Json& f : fields) {
    if (!f.is_object()) continue;
    std::string var = f.value("name", ""), path = f.value("fieldPath", "");
    if (var.empty()) continue;
    std::smatch m;
    if (std::regex_match(path, m, kKeyed)) {
      Json values = meta.is_object() ? meta.value(m[1].str(), Json::object()) : Json::object();
      if (!values.is_object()) values = Json::object();
      // The annotation KFP puts on every pod of a run.
      if (m[1].str() == "annotations" && !values.contains("pipelines.kubeflow.org/run_name"))
        values["pipelines.kubeflow.org/run_name"] = ctx.run_id;
      (*env)[var] = values.value(m[2].str(), "");
    } else if (path == "metadata.name") {
      (*env)[var] = ctx.run_id + "-" + ctx.task_name;
    } else {
      return InvalidInput("kfp-kubernetes fieldPathAsEnv '" + path + "' (for $" + var +
                          ") has no equivalent outside Kubernetes; slipway gives pod labels, "
                          "annotations and metadata.name. Run the pipeline with --backend k8s, "
                          "or drop the setting");
    }
  }
  return Status::Ok();
}

}  // namespace

Status add_kubernetes_env(const ResolveContext& ctx, const Json& kubernetes,
                          std::map<std::string, std::string>* env) {
  if (!kubernetes.is_object()) return Status::Ok();
  SLIPWAY_RETURN_IF_ERROR(add_field_paths(ctx, kubernetes, env));
  SLIPWAY_RETURN_IF_ERROR(add_from(ctx, kubernetes.value("secretAsEnv", Json()), "secret",
                                   "SLIPWAY_SECRETS", "secrets", "secretName",
                                   "secretNameParameter", "secretKey", env));
  return add_from(ctx, kubernetes.value("configMapAsEnv", Json()), "config map",
                  "SLIPWAY_CONFIGMAPS", "configmaps", "configMapName", "configMapNameParameter",
                  "configMapKey", env);
}

}  // namespace slipway::dag
