#include "backends/k8s/k8s_config.h"

#include <cstdlib>
#include <filesystem>

#include "core/files.h"
#include "core/units.h"
#include "core/yaml_json.h"
#include "core/yaml_reader.h"

namespace slipway::backends {

std::vector<std::string> K8sConfig::kubectl_argv(std::vector<std::string> args) const {
  std::vector<std::string> argv = {kubectl};
  if (!context.empty()) argv.push_back("--context=" + context);
  if (!ns.empty()) argv.push_back("--namespace=" + ns);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<K8sConfig> K8sConfig::load_default() {
  if (const char* p = std::getenv("SLIPWAY_K8S_CONFIG"); p && *p) return load(p);
  auto home = slipway_home() / "k8s.yaml";
  if (std::filesystem::exists(home)) return load(home.string());
  return K8sConfig{};
}

Result<K8sConfig> K8sConfig::load(const std::string& path) {
  K8sConfig c;
  YamlReader r(path);
  try {
    YAML::Node n = YAML::LoadFile(path);
    if (n.IsNull()) return c;  // an empty file: every default
    if (!n.IsMap()) return InvalidInput(path + ": the Kubernetes backend config must be a mapping");
    Status st = r.keys(n,
                       {"namespace",
                        "context",
                        "kubectl",
                        "image",
                        "slipway_path",
                        "component_images",
                        "image_pull_policy",
                        "service_account",
                        "run_root",
                        "node_selector",
                        "tolerations",
                        "affinity",
                        "distributed",
                        "mpi_worker_command",
                        "gang",
                        "queue",
                        "priority_class",
                        "env",
                        "image_pull_grace",
                        "poll_interval",
                        "max_in_flight"},
                       "the k8s config");
    const std::string w = "k8s config";
    for (Status s :
         {st, r.get(n, "namespace", &c.ns, w), r.get(n, "context", &c.context, w),
          r.get(n, "kubectl", &c.kubectl, w), r.get(n, "image", &c.image, w),
          r.get(n, "slipway_path", &c.slipway_path, w),
          r.get(n, "component_images", &c.component_images, w),
          r.get(n, "image_pull_policy", &c.image_pull_policy, w),
          r.get(n, "service_account", &c.service_account, w),
          r.get(n, "node_selector", &c.node_selector, w),
          r.get(n, "distributed", &c.distributed, w),
          r.get(n, "mpi_worker_command", &c.mpi_worker_command, w), r.get(n, "gang", &c.gang, w),
          r.get(n, "queue", &c.queue, w), r.get(n, "priority_class", &c.priority_class, w),
          r.get(n, "env", &c.env, w), r.get(n, "max_in_flight", &c.max_in_flight, w)})
      if (!st.ok() || !s.ok()) return st.ok() ? s : st;
    if (auto rr = n["run_root"]) {
      if (Status s = r.keys(rr, {"pvc", "host_path", "mount_path"}, "run_root"); !s.ok()) return s;
      for (Status s :
           {r.get(rr, "pvc", &c.pvc, "run_root"), r.get(rr, "host_path", &c.host_path, "run_root"),
            r.get(rr, "mount_path", &c.mount_path, "run_root")})
        if (!s.ok()) return s;
      if (!c.pvc.empty() && !c.host_path.empty())
        return r.where(rr, "run_root: give pvc or host_path, not both");
    }
    if (auto t = n["tolerations"]) {
      if (!t.IsSequence())
        return r.where(t, "tolerations must be a list of {key, operator, value, effect}");
      c.tolerations = yaml_to_json(t);
    }
    if (auto a = n["affinity"]) {
      if (!a.IsMap()) return r.where(a, "affinity must be a pod Affinity mapping");
      c.affinity = yaml_to_json(a);
    }
    if (c.distributed != "pytorchjob" && c.distributed != "mpijob")
      return r.where(n["distributed"],
                     "distributed must be pytorchjob or mpijob, not '" + c.distributed + "'");
    if (c.gang != "none" && c.gang != "volcano" && c.gang != "kueue" &&
        c.gang != "scheduler-plugins")
      return r.where(n["gang"], "gang must be none, volcano, kueue or scheduler-plugins, not '" +
                                    c.gang + "'");
    if (c.gang == "kueue" && c.queue.empty())
      return r.where(n["gang"], "gang: kueue needs queue: (the LocalQueue's name)");
    if (c.max_in_flight < 1) return r.where(n["max_in_flight"], "max_in_flight must be at least 1");
    if (auto g = n["image_pull_grace"]) {
      auto d = parse_duration_ms(g.Scalar());
      if (!d.ok()) return r.where(g, "image_pull_grace: " + d.status().message());
      c.image_pull_grace_ms = *d;
    }
    if (auto p = n["poll_interval"]) {
      auto d = parse_duration_ms(p.Scalar());
      if (!d.ok()) return r.where(p, "poll_interval: " + d.status().message());
      c.poll_interval_ms = std::max<std::int64_t>(50, *d);
    }
  } catch (const YAML::Exception& e) {
    return InvalidInput(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return c;
}

}  // namespace slipway::backends
