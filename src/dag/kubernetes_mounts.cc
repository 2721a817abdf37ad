#include "dag/kubernetes_mounts.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "dag/kubernetes_env.h"

namespace slipway::dag {

namespace fs = std::filesystem;

namespace {

Status check_target(const Json& entry, const char* what, std::string* target) {
  *target = entry.value("mountPath", "");
  if (target->empty() || (*target)[0] != '/')
    return InvalidInput(std::string(what) + ": mountPath '" + *target +
                        "' must be an absolute path");
  return Status::Ok();
}

// A claim's name is the setting's own value (from CreatePVC's output, an input or a constant),
// or its pvcNameParameter.
Result<std::string> claim_name(const ResolveContext& ctx, const Json& entry) {
  return entry.contains("pvcNameParameter")
             ? kubernetes_object_name(ctx, entry, "constant", "pvcNameParameter")
             : kubernetes_object_name(ctx, Json{{"p", entry}}, "", "p");
}

// Mounts of named objects that live in a local directory (claims, secrets, config maps).
Status add_named(const ResolveContext& ctx, const Json& entries, const char* what,
                 const char* env_var, const char* under_home, const char* literal_key,
                 const char* param_key, bool read_only, std::vector<Mount>* out) {
  if (!entries.is_array()) return Status::Ok();
  for (const Json& entry : entries) {
    if (!entry.is_object()) continue;
    bool optional = entry.value("optional", false);
    std::string target;
    SLIPWAY_RETURN_IF_ERROR(check_target(entry, what, &target));
    // Secrets and config maps name theirs in a field.
    auto name = std::string(param_key) == "pvcNameParameter"
                    ? claim_name(ctx, entry)
                    : kubernetes_object_name(ctx, entry, literal_key, param_key);
    if (!name.ok()) return name.status();
    if (name->empty()) {
      if (optional) continue;
      return InvalidInput(std::string(what) + " at " + target + ": no name given");
    }
    if (!valid_local_object_name(*name))
      return InvalidInput(std::string(what) + " name '" + *name + "' is not a valid name");
    fs::path dir = local_objects_root(env_var, under_home) / *name;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      if (optional) continue;
      return InvalidInput(std::string(what) + " '" + *name + "' (mounted at " + target +
                          ") is not here: it is the directory " + dir.string() +
                          "; create it (or set " + env_var + " to where they are kept)");
    }
    out->push_back({dir.string(), target, read_only});
  }
  return Status::Ok();
}

// Volumes that live as long as the step: a fresh directory in the task's directory each attempt.
Status add_fresh(const Json& entries, const char* what, const std::string& task_dir,
                 std::vector<Mount>* out) {
  if (!entries.is_array()) return Status::Ok();
  for (const Json& entry : entries) {
    if (!entry.is_object()) continue;
    std::string target;
    SLIPWAY_RETURN_IF_ERROR(check_target(entry, what, &target));
    std::string name = entry.value("volumeName", "volume-" + std::to_string(out->size()));
    if (!valid_local_object_name(name)) name = "volume-" + std::to_string(out->size());
    fs::path dir = fs::path(task_dir) / "volumes" / name;
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    if (ec)
      return Failed(std::string(what) + ": cannot create " + dir.string() + ": " + ec.message());
    out->push_back({dir.string(), target, false});
  }
  return Status::Ok();
}

// Run by `sh -c` inside the namespace: SOURCE TARGET ro|rw triples, "--", then the step.
constexpr const char* kMountScript =
    "while [ \"$1\" != -- ]; do "
    "mkdir -p \"$2\" && mount --bind \"$1\" \"$2\" && "
    "{ [ \"$3\" = rw ] || mount -o remount,bind,ro \"$2\"; } || "
    "{ echo \"slipway: cannot mount $1 at $2 for this step (a private mount namespace needs "
    "root, or unprivileged user namespaces; inside a container runtime, use "
    "--container-runtime)\" >&2; exit 126; }; "
    "shift 3; done; shift; exec \"$@\"";

}  // namespace

Result<std::vector<Mount>> kubernetes_mounts(const ResolveContext& ctx, const Json& k8s,
                                             const std::string& task_dir) {
  std::vector<Mount> out;
  if (!k8s.is_object()) return out;
  SLIPWAY_RETURN_IF_ERROR(add_named(ctx, k8s.value("pvcMount", Json()), "volume", "SLIPWAY_VOLUMES",
                                    "volumes", "constant", "pvcNameParameter", false, &out));
  SLIPWAY_RETURN_IF_ERROR(add_named(ctx, k8s.value("secretAsVolume", Json()), "secret",
                                    "SLIPWAY_SECRETS", "secrets", "secretName",
                                    "secretNameParameter", true, &out));
  SLIPWAY_RETURN_IF_ERROR(add_named(ctx, k8s.value("configMapAsVolume", Json()), "config map",
                                    "SLIPWAY_CONFIGMAPS", "configmaps", "configMapName",
                                    "configMapNameParameter", true, &out));
  SLIPWAY_RETURN_IF_ERROR(
      add_fresh(k8s.value("emptyDirMounts", Json()), "emptyDir volume", task_dir, &out));
  SLIPWAY_RETURN_IF_ERROR(
      add_fresh(k8s.value("genericEphemeralVolume", Json()), "ephemeral volume", task_dir, &out));
  return out;
}

Result<std::vector<std::string>> kubernetes_claim_names(const ResolveContext& ctx,
                                                        const Json& k8s) {
  std::vector<std::string> names;
  const Json& mounts = k8s.is_object() ? k8s.value("pvcMount", Json()) : Json();
  if (!mounts.is_array()) return names;
  for (const Json& entry : mounts) {
    if (!entry.is_object()) continue;
    auto name = claim_name(ctx, entry);
    if (!name.ok()) return name.status();
    names.push_back(*name);
  }
  return names;
}

namespace {

// The entries of one setting, each with its resolved object name: claims by claim_name, secrets
// and config maps by their name fields. An optional one without a name is left out.
Status each_named(const ResolveContext& ctx, const Json& entries, const char* literal_key,
                  const char* param_key,
                  const std::function<void(const Json&, const std::string&)>& fn) {
  if (!entries.is_array()) return Status::Ok();
  for (const Json& e : entries) {
    if (!e.is_object()) continue;
    auto name = std::string(param_key) == "pvcNameParameter"
                    ? claim_name(ctx, e)
                    : kubernetes_object_name(ctx, e, literal_key, param_key);
    if (!name.ok()) return name.status();
    if (name->empty()) {
      if (e.value("optional", false)) continue;
      return InvalidInput(std::string("kfp-kubernetes ") + param_key + ": no name given");
    }
    fn(e, *name);
  }
  return Status::Ok();
}

}  // namespace

Result<Json> kubernetes_pod_settings(const ResolveContext& ctx, const Json& k8s) {
  Json out = {{"volumes", Json::array()}, {"env", Json::array()}};
  if (!k8s.is_object()) return out;
  Json& vols = out["volumes"];
  Json& env = out["env"];
  auto volume = [&](const char* kind, bool read_only) {
    return [&vols, kind, read_only](const Json& e, const std::string& name) {
      vols.push_back({{"kind", kind},
                      {"name", name},
                      {"mountPath", e.value("mountPath", "")},
                      {"readOnly", read_only},
                      {"optional", e.value("optional", false)}});
    };
  };
  SLIPWAY_RETURN_IF_ERROR(each_named(ctx, k8s.value("pvcMount", Json()), "constant",
                                     "pvcNameParameter", volume("pvc", false)));
  SLIPWAY_RETURN_IF_ERROR(each_named(ctx, k8s.value("secretAsVolume", Json()), "secretName",
                                     "secretNameParameter", volume("secret", true)));
  SLIPWAY_RETURN_IF_ERROR(each_named(ctx, k8s.value("configMapAsVolume", Json()), "configMapName",
                                     "configMapNameParameter", volume("configMap", true)));
  for (const char* key : {"emptyDirMounts", "genericEphemeralVolume"})
    for (const Json& e : k8s.value(key, Json::array())) {
      if (!e.is_object()) continue;
      Json v = e;
      v["kind"] = std::string(key) == "emptyDirMounts" ? "emptyDir" : "ephemeral";
      v["name"] = e.value("volumeName", "");
      vols.push_back(v);
    }
  auto refs = [&](const char* kind, const char* key_field) {
    return [&env, kind, key_field](const Json& e, const std::string& name) {
      for (const Json& k : e.value("keyToEnv", Json::array()))
        env.push_back({{"name", k.value("envVar", "")},
                       {kind, name},
                       {"key", k.value(key_field, "")},
                       {"optional", e.value("optional", false)}});
    };
  };
  SLIPWAY_RETURN_IF_ERROR(each_named(ctx, k8s.value("secretAsEnv", Json()), "secretName",
                                     "secretNameParameter", refs("secret", "secretKey")));
  SLIPWAY_RETURN_IF_ERROR(each_named(ctx, k8s.value("configMapAsEnv", Json()), "configMapName",
                                     "configMapNameParameter", refs("configMap", "configMapKey")));
  for (const Json& f : k8s.value("fieldPathAsEnv", Json::array()))
    if (f.is_object())
      env.push_back({{"name", f.value("name", "")}, {"fieldPath", f.value("fieldPath", "")}});
  const Json& meta = k8s.value("podMetadata", Json::object());
  if (meta.is_object()) {
    if (meta.contains("labels")) out["labels"] = meta["labels"];
    if (meta.contains("annotations")) out["annotations"] = meta["annotations"];
  }
  return out;
}

std::vector<std::string> with_mounts(const std::vector<Mount>& mounts,
                                     std::vector<std::string> argv,
                                     const std::string& container_runtime) {
  if (mounts.empty()) return argv;
  if (!container_runtime.empty() && argv.size() > 1 && argv[0] == container_runtime &&
      argv[1] == "exec") {
    std::vector<std::string> binds;
    for (const Mount& m : mounts) {
      binds.push_back("--bind");
      binds.push_back(m.source + ":" + m.target + (m.read_only ? ":ro" : ""));
    }
    argv.insert(argv.begin() + 2, binds.begin(), binds.end());
    return argv;
  }
  std::vector<std::string> out = {"unshare", "--mount", "--propagation", "private"};
  if (geteuid() != 0) out.insert(out.end(), {"--user", "--map-root-user"});
  out.insert(out.end(), {"--", "sh", "-c", kMountScript, "slipway-mounts"});
  for (const Mount& m : mounts)
    out.insert(out.end(), {m.source, m.target, m.read_only ? "ro" : "rw"});
  out.push_back("--");
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace slipway::dag
