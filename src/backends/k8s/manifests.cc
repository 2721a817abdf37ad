#include "backends/k8s/manifests.h"

#include <algorithm>
#include <cctype>

#include "core/hash.h"
#include "core/strings.h"

namespace slipway::backends {

namespace {

bool label_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// Lower-case letters, digits and '-', no leading or trailing '-', at most `max` characters.
std::string dns_part(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok)
      out += l;
    else if (!out.empty() && out.back() != '-')
      out += '-';
    if (out.size() >= max) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// One of the task's kfp-kubernetes pod settings (TaskLaunch::pod_settings), or `fallback`.
Json pod_setting(const TaskLaunch& l, const char* key, Json fallback) {
  const Json& s = l.pod_settings;
  return s.is_object() && s.contains(key) && s[key].type() == fallback.type() ? s[key] : fallback;
}

Json env_list(const TaskLaunch& l, const K8sConfig& c) {
  std::map<std::string, std::string> all = c.env;
  for (const auto& [k, v] : l.env) all[k] = v;  // the task's own settings win
  Json out = Json::array();
  for (const auto& [k, v] : all) out.push_back({{"name", k}, {"value", v}});
  // kfp-kubernetes secrets, config maps and pod fields, read by the kubelet.
  for (const Json& e : pod_setting(l, "env", Json::array())) {
    Json from;
    if (e.contains("fieldPath"))
      from = {{"fieldRef", {{"fieldPath", e["fieldPath"]}}}};
    else
      from = {{e.contains("secret") ? "secretKeyRef" : "configMapKeyRef",
               {{"name", e.contains("secret") ? e["secret"] : e["configMap"]},
                {"key", e.value("key", "")},
                {"optional", e.value("optional", false)}}}};
    out.push_back({{"name", e.value("name", "")}, {"valueFrom", from}});
  }
  return out;
}

// The pod volumes of the task's kfp-kubernetes settings: kfp-vol-0, kfp-vol-1, ...
Json kfp_volumes(const TaskLaunch& l) {
  Json out = Json::array();
  int i = 0;
  for (const Json& v : pod_setting(l, "volumes", Json::array())) {
    std::string kind = v.value("kind", ""), name = v.value("name", "");
    Json vol = {{"name", "kfp-vol-" + std::to_string(i++)}};
    if (kind == "pvc") {
      vol["persistentVolumeClaim"] = {{"claimName", name}};
    } else if (kind == "secret") {
      vol["secret"] = {{"secretName", name}, {"optional", v.value("optional", false)}};
    } else if (kind == "configMap") {
      vol["configMap"] = {{"name", name}, {"optional", v.value("optional", false)}};
    } else if (kind == "emptyDir") {
      Json e = Json::object();
      if (v.contains("medium")) e["medium"] = v["medium"];
      if (v.contains("sizeLimit")) e["sizeLimit"] = v["sizeLimit"];
      vol["emptyDir"] = e;
    } else {  // a generic ephemeral volume: a claim made with the pod and deleted with it
      Json spec = {{"accessModes", v.value("accessModes", Json::array({"ReadWriteOnce"}))},
                   {"resources", {{"requests", {{"storage", v.value("size", "1Gi")}}}}}};
      if (v.contains("storageClassName") && !v.value("defaultStorageClass", false))
        spec["storageClassName"] = v["storageClassName"];
      vol["ephemeral"] = {{"volumeClaimTemplate", {{"spec", spec}}}};
    }
    out.push_back(vol);
  }
  return out;
}

std::string mount_path_of(const TaskLaunch& l, const K8sConfig& c) {
  if (!c.mount_path.empty()) return c.mount_path;
  auto it = l.env.find("SLIPWAY_HOME");
  return it == l.env.end() ? std::string() : it->second;
}

Status check_run_root(const K8sConfig& c, const std::string& mount) {
  if (c.pvc.empty() && c.host_path.empty())
    return InvalidInput(
        "the k8s backend needs the run root on a volume every pod mounts: set run_root.pvc (a "
        "ReadWriteMany PersistentVolumeClaim) or run_root.host_path in the k8s config "
        "($SLIPWAY_K8S_CONFIG or $SLIPWAY_HOME/k8s.yaml)");
  if (mount.empty() || mount[0] != '/')
    return InvalidInput(
        "the k8s config's run_root.mount_path must be an absolute path (default: $SLIPWAY_HOME)");
  return Status::Ok();
}

Json volumes(const TaskLaunch& l, const K8sConfig& c, bool shm) {
  Json v = Json::array();
  if (!c.pvc.empty())
    v.push_back({{"name", "slipway-root"}, {"persistentVolumeClaim", {{"claimName", c.pvc}}}});
  else
    v.push_back(
        {{"name", "slipway-root"}, {"hostPath", {{"path", c.host_path}, {"type", "Directory"}}}});
  // NCCL and PyTorch's data loaders use /dev/shm; a container's default 64 MiB is too small.
  if (shm) v.push_back({{"name", "dshm"}, {"emptyDir", {{"medium", "Memory"}}}});
  for (const Json& kv : kfp_volumes(l)) v.push_back(kv);
  return v;
}

Json mounts(const TaskLaunch& l, const std::string& mount, bool shm) {
  Json m = Json::array({{{"name", "slipway-root"}, {"mountPath", mount}}});
  if (shm) m.push_back({{"name", "dshm"}, {"mountPath", "/dev/shm"}});
  int i = 0;
  for (const Json& v : pod_setting(l, "volumes", Json::array()))
    m.push_back({{"name", "kfp-vol-" + std::to_string(i++)},
                 {"mountPath", v.value("mountPath", "")},
                 {"readOnly", v.value("readOnly", false)}});
  return m;
}

struct PodShape {
  std::int64_t millicpus = 1000, memory_bytes = 0;
  int gpus = 0;
};

Json container(const std::string& name, const std::vector<std::string>& command,
               const TaskLaunch& l, const K8sConfig& c, const std::string& mount,
               const PodShape& shape, bool shm) {
  Json requests = {{"cpu", k8s_cpu_quantity(shape.millicpus)}};
  Json limits = Json::object();
  if (shape.memory_bytes > 0) {
    requests["memory"] = std::to_string(shape.memory_bytes);
    limits["memory"] = std::to_string(shape.memory_bytes);
  }
  if (shape.gpus > 0) limits["nvidia.com/gpu"] = std::to_string(shape.gpus);
  Json ctr = {{"name", name},
              {"image", c.image},
              {"imagePullPolicy", c.image_pull_policy},
              {"command", command},
              {"env", env_list(l, c)},
              {"resources", {{"requests", requests}}},
              {"volumeMounts", mounts(l, mount, shm)}};
  if (!limits.empty()) ctr["resources"]["limits"] = limits;
  if (!l.workdir.empty()) ctr["workingDir"] = l.workdir;
  return ctr;
}

Json labels_of(const TaskLaunch& l) {
  return {{kK8sRunLabel, k8s_label_value(l.run_id)},
          {kK8sTaskLabel, k8s_label_value(l.group.empty() ? l.task : l.group)},
          {kK8sAttemptLabel, std::to_string(l.attempt)},
          {"app.kubernetes.io/managed-by", "slipway"}};
}

Json pod_template(const TaskLaunch& l, const K8sConfig& c, Json ctr, bool shm,
                  const std::string& restart, const std::string& self, const DriverlessExtras& x) {
  const spec::Resources& r = l.resources;
  Json spec = {{"restartPolicy", restart},
               {"containers", Json::array({ctr})},
               {"volumes", volumes(l, c, shm)}};
  if (!x.await_exit_files.empty()) {
    std::vector<std::string> cmd = {self, "__await"};
    if (x.await_any_outcome) cmd.push_back("--any-outcome");
    cmd.insert(cmd.end(), x.await_exit_files.begin(), x.await_exit_files.end());
    spec["initContainers"] =
        Json::array({{{"name", "await-upstream"},
                      {"image", c.image},
                      {"imagePullPolicy", c.image_pull_policy},
                      {"command", cmd},
                      {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "32Mi"}}}}},
                      {"volumeMounts", ctr["volumeMounts"]}}});
  }
  std::map<std::string, std::string> selector = c.node_selector;
  for (const auto& [k, v] : r.k8s_node_selector) selector[k] = v;
  if (!selector.empty()) spec["nodeSelector"] = selector;
  const Json& tol = r.k8s_tolerations.is_array() ? r.k8s_tolerations : c.tolerations;
  if (tol.is_array() && !tol.empty()) spec["tolerations"] = tol;
  const Json& aff = r.k8s_affinity.is_object() ? r.k8s_affinity : c.affinity;
  if (aff.is_object() && !aff.empty()) spec["affinity"] = aff;
  if (!c.service_account.empty()) spec["serviceAccountName"] = c.service_account;
  if (!c.priority_class.empty()) spec["priorityClassName"] = c.priority_class;
  if (c.gang == "volcano") spec["schedulerName"] = "volcano";
  if (c.gang == "scheduler-plugins") spec["schedulerName"] = "scheduler-plugins-scheduler";
  // The task's podMetadata (kfp-kubernetes), under slipway's own labels and annotations.
  Json labels = pod_setting(l, "labels", Json::object());
  Json annotations = pod_setting(l, "annotations", Json::object());
  labels.update(labels_of(l));
  annotations.update({{kK8sRunAnnotation, l.run_id}, {kK8sKeyAnnotation, l.key}});
  return {{"metadata", {{"labels", labels}, {"annotations", annotations}}},
          {"spec", std::move(spec)}};
}

Json metadata(const TaskLaunch& l, const K8sConfig& c) {
  Json m = {{"name", k8s_object_name(l.run_id, l.key)},
            {"labels", labels_of(l)},
            {"annotations",
             {{kK8sRunAnnotation, l.run_id},
              {kK8sKeyAnnotation, l.key},
              {kK8sStdoutAnnotation, l.stdout_path},
              {kK8sStderrAnnotation, l.stderr_path}}}};
  if (!c.ns.empty()) m["namespace"] = c.ns;
  if (c.gang == "kueue") m["labels"]["kueue.x-k8s.io/queue-name"] = c.queue;
  if (c.gang == "volcano" && !c.queue.empty())
    m["annotations"]["scheduling.volcano.sh/queue-name"] = c.queue;
  return m;
}

// The attempt's deadline in whole seconds: the shorter of the task's timeout and time limit.
std::int64_t deadline_seconds(const TaskLaunch& l) {
  std::int64_t ms = 0;
  for (std::int64_t v : {l.timeout_ms, l.resources.time_limit_ms})
    if (v > 0) ms = ms == 0 ? v : std::min(ms, v);
  return ms == 0 ? 0 : (ms + 999) / 1000;
}

// Its output goes to the pod's log (kubectl logs) and to the run's log files on the volume.
std::vector<std::string> teed(const std::string& self, const TaskLaunch& l,
                              std::vector<std::string> argv, const DriverlessExtras& x) {
  std::vector<std::string> cmd = {self, "__tee"};
  for (const auto& d : x.mkdirs) cmd.insert(cmd.end(), {"--mkdir", d});
  if (!x.exit_file.empty()) cmd.insert(cmd.end(), {"--exit-file", x.exit_file});
  cmd.insert(cmd.end(), {l.stdout_path, l.stderr_path, "--"});
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  return cmd;
}

Json run_policy(const TaskLaunch& l, const K8sConfig& c, int pods) {
  Json p = {{"backoffLimit", 0}, {"cleanPodPolicy", "Running"}, {"ttlSecondsAfterFinished", 86400}};
  if (auto d = deadline_seconds(l); d > 0) p["activeDeadlineSeconds"] = d;
  if (c.gang == "kueue") p["suspend"] = true;  // Kueue admits it when its quota allows
  if (c.gang == "volcano" || c.gang == "scheduler-plugins") {
    Json sp = {{"minAvailable", pods}};
    if (!c.queue.empty()) sp["queue"] = c.queue;
    if (!c.priority_class.empty()) sp["priorityClass"] = c.priority_class;
    p["schedulingPolicy"] = sp;
  }
  return p;
}

// A command in a foreign image, writing the exit file and making the outputs folder itself
// (with the image's /bin/sh) when no driver is there to do it.
std::vector<std::string> in_component_image(const std::vector<std::string>& argv,
                                            const DriverlessExtras& x) {
  if (x.exit_file.empty() && x.mkdirs.empty()) return argv;
  std::string script;
  for (const auto& d : x.mkdirs) script += "mkdir -p " + shell_quote(d) + "; ";
  script += "\"$@\"; rc=$?";
  if (!x.exit_file.empty()) script += "; echo $rc > " + shell_quote(x.exit_file);
  script += "; exit $rc";
  std::vector<std::string> cmd = {"/bin/sh", "-c", script, "sh"};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  return cmd;
}

Json render_job(const TaskLaunch& l, const K8sConfig& c, const std::string& self,
                const std::string& mount, const DriverlessExtras& x) {
  const spec::Resources& r = l.resources;
  PodShape shape{r.millicpus * r.tasks_per_node, r.memory_bytes, r.gpus * r.tasks_per_node};
  bool shm = shape.gpus > 0 || r.tasks_per_node > 1;
  std::vector<std::string> own = k8s_component_image_argv(l, c, self);
  Json ctr = container("task", own.empty() ? teed(self, l, l.argv, x) : in_component_image(own, x),
                       l, c, mount, shape, shm);
  if (!own.empty()) ctr["image"] = l.image;
  Json meta = metadata(l, c);
  if (!own.empty()) meta["annotations"][kK8sLogsViaKubectlAnnotation] = "true";
  if (!l.image.empty() && own.empty())
    meta["annotations"]["slipway.dev/component-image"] =
        l.image + " (not used: " +
        (c.component_images ? "the command runs slipway" : "component_images is off") + ")";
  Json spec = {
      {"backoffLimit", 0},
      {"ttlSecondsAfterFinished", 86400},
      // Preemption and node drains are the cluster's doing: a new pod, not a failed attempt.
      {"podFailurePolicy",
       {{"rules", Json::array({{{"action", "Ignore"},
                                {"onPodConditions", Json::array({{{"type", "DisruptionTarget"},
                                                                  {"status", "True"}}})}}})}}},
      {"template", pod_template(l, c, std::move(ctr), shm, "Never", self, x)}};
  if (auto d = deadline_seconds(l); d > 0) spec["activeDeadlineSeconds"] = d;
  if (c.gang == "kueue") spec["suspend"] = true;  // Kueue admits it when its quota allows
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", std::move(meta)},
          {"spec", std::move(spec)}};
}

Json render_pytorchjob(const TaskLaunch& l, const K8sConfig& c, const std::string& self,
                       const std::string& mount, const DriverlessExtras& x) {
  const spec::Resources& r = l.resources;
  PodShape shape{r.millicpus * r.tasks_per_node, r.memory_bytes, r.gpus * r.tasks_per_node};
  // Each pod runs `slipway launch`, which reads the operator's PET_* variables and starts its
  // node's ranks. The master's output is the task's log; workers' stay in their pods' logs.
  Json master =
      pod_template(l, c, container("pytorch", teed(self, l, l.argv, x), l, c, mount, shape, true),
                   true, "Never", self, x);
  Json worker = pod_template(l, c, container("pytorch", l.argv, l, c, mount, shape, true), true,
                             "Never", self, x);
  Json spec = {{"nprocPerNode", std::to_string(r.tasks_per_node)},
               {"runPolicy", run_policy(l, c, r.nodes)},
               {"pytorchReplicaSpecs",
                {{"Master", {{"replicas", 1}, {"restartPolicy", "Never"}, {"template", master}}},
                 {"Worker",
                  {{"replicas", r.nodes - 1}, {"restartPolicy", "Never"}, {"template", worker}}}}}};
  return {{"apiVersion", "kubeflow.org/v1"},
          {"kind", "PyTorchJob"},
          {"metadata", metadata(l, c)},
          {"spec", std::move(spec)}};
}

Json render_mpijob(const TaskLaunch& l, const K8sConfig& c, const std::string& self,
                   const std::string& mount, const DriverlessExtras& x) {
  const spec::Resources& r = l.resources;
  int ranks = r.nodes * r.tasks_per_node;
  // mpirun on the launcher starts every rank through `slipway launch`, which learns its rank
  // from Open MPI and binds it; the task's variables travel to the workers with -x.
  std::vector<std::string> mpirun = {"mpirun", "-np", std::to_string(ranks), "--bind-to", "none"};
  std::map<std::string, std::string> env = c.env;
  for (const auto& [k, v] : l.env) env[k] = v;
  for (const auto& [k, _] : env) {
    mpirun.push_back("-x");
    mpirun.push_back(k);
  }
  mpirun.insert(mpirun.end(), l.argv.begin(), l.argv.end());
  TaskLaunch launcher_env = l;
  launcher_env.env["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
  launcher_env.env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
  PodShape small{500, 0, 0};
  PodShape worker_shape{r.millicpus * r.tasks_per_node, r.memory_bytes, r.gpus * r.tasks_per_node};
  Json launcher = pod_template(
      l, c, container("launcher", teed(self, l, mpirun, x), launcher_env, c, mount, small, false),
      false, "Never", self, x);
  Json worker =
      pod_template(l, c, container("worker", c.mpi_worker_command, l, c, mount, worker_shape, true),
                   true, "Never", self, x);
  Json spec = {
      {"slotsPerWorker", r.tasks_per_node},
      {"mpiImplementation", "OpenMPI"},
      {"runPolicy", run_policy(l, c, r.nodes + 1)},
      {"mpiReplicaSpecs",
       {{"Launcher", {{"replicas", 1}, {"restartPolicy", "Never"}, {"template", launcher}}},
        {"Worker", {{"replicas", r.nodes}, {"restartPolicy", "Never"}, {"template", worker}}}}}};
  return {{"apiVersion", "kubeflow.org/v2beta1"},
          {"kind", "MPIJob"},
          {"metadata", metadata(l, c)},
          {"spec", std::move(spec)}};
}

}  // namespace

std::string k8s_cpu_quantity(std::int64_t millicpus) {
  if (millicpus % 1000 == 0) return std::to_string(millicpus / 1000);
  return std::to_string(millicpus) + "m";
}

std::string k8s_label_value(const std::string& s) {
  bool valid = !s.empty() && s.size() <= 63 && std::all_of(s.begin(), s.end(), label_char) &&
               std::isalnum(static_cast<unsigned char>(s.front())) &&
               std::isalnum(static_cast<unsigned char>(s.back()));
  if (valid) return s;
  std::string prefix;
  for (char c : s) {
    if (prefix.size() >= 40) break;
    prefix += label_char(c) ? c : '-';
  }
  while (!prefix.empty() && !std::isalnum(static_cast<unsigned char>(prefix.front())))
    prefix.erase(0, 1);
  return (prefix.empty() ? "x" : prefix + "-") + sha256_hex(s).substr(0, 12);
}

std::string k8s_object_name(const std::string& run_id, const std::string& key) {
  auto hash = sha256_hex(run_id + "\n" + key).substr(0, 8);
  std::string task = key.substr(0, key.rfind('#'));
  std::string attempt = key.rfind('#') == std::string::npos ? "1" : key.substr(key.rfind('#') + 1);
  std::string run = dns_part(run_id, 14), t = dns_part(task, 14);
  return "sw-" + (run.empty() ? "" : run + "-") + (t.empty() ? "" : t + "-") +
         dns_part(attempt, 4) + "-" + hash;
}

std::vector<std::string> k8s_component_image_argv(const TaskLaunch& l, const K8sConfig& c,
                                                  const std::string& self_exe) {
  if (!c.component_images || l.image.empty() || k8s_kind_for(l, c) != "Job") return {};
  std::vector<std::string> argv = l.argv;
  if (argv.size() > 3 && argv[0] == self_exe && argv[1] == "__pyenv" && argv[2] == "--")
    argv.erase(argv.begin(), argv.begin() + 3);
  for (const auto& a : argv)
    if (a.find(self_exe) != std::string::npos) return {};
  return argv;
}

std::string k8s_kind_for(const TaskLaunch& l, const K8sConfig& c) {
  if (l.resources.nodes <= 1) return "Job";
  std::string d = l.resources.k8s_distributed.empty() ? c.distributed : l.resources.k8s_distributed;
  return d == "mpijob" ? "MPIJob" : "PyTorchJob";
}

// A training job file goes to the cluster as written: its operator there gives the replicas
// their variables. slipway names it per attempt (a retry is a new object) and labels and
// annotates it as its own objects, so it tracks, reattaches and deletes it the same way.
Result<Json> render_job_file(const TaskLaunch& l, const K8sConfig& c, const std::string& text) {
  Json obj = Json::parse(text, nullptr, false);
  if (!obj.is_object() || !obj.contains("kind"))
    return InvalidInput("task '" + l.task + "': the training job's manifest is malformed");
  Json ours = metadata(l, c);
  Json& meta = obj["metadata"];
  if (!meta.is_object()) meta = Json::object();
  meta["name"] = ours["name"];
  if (ours.contains("namespace")) meta["namespace"] = ours["namespace"];
  for (const char* part : {"labels", "annotations"}) {
    if (!meta[part].is_object()) meta[part] = Json::object();
    meta[part].update(ours[part]);
  }
  meta["annotations"][kK8sLogsViaKubectlAnnotation] = "true";  // the replicas run its images
  return obj;
}

Result<Json> render_task_object(const TaskLaunch& l, const K8sConfig& c,
                                const std::string& self_exe, const DriverlessExtras& x) {
  if (auto job = l.env.find(kK8sJobManifestEnv); job != l.env.end())
    return render_job_file(l, c, job->second);
  std::string mount = mount_path_of(l, c);
  if (Status s = check_run_root(c, mount); !s.ok()) return s;
  if (l.argv.empty()) return InvalidInput("task '" + l.task + "' has an empty command");
  if (!c.slipway_path.empty() && c.slipway_path != self_exe) {
    // The driver's commands name its own slipway; the pods run the image's.
    TaskLaunch in_image = l;
    for (auto& a : in_image.argv)
      if (a == self_exe) a = c.slipway_path;
    K8sConfig same = c;
    same.slipway_path.clear();
    return render_task_object(in_image, same, c.slipway_path, x);
  }
  std::string kind = k8s_kind_for(l, c);
  if (kind == "PyTorchJob") return render_pytorchjob(l, c, self_exe, mount, x);
  if (kind == "MPIJob") return render_mpijob(l, c, self_exe, mount, x);
  return render_job(l, c, self_exe, mount, x);
}

Result<Json> render_inference_service(const ServingDeploy& d, const K8sConfig& c,
                                      const std::string& driver_exe) {
  const std::string self_exe = c.slipway_path.empty() ? driver_exe : c.slipway_path;
  std::string mount = c.mount_path.empty() ? d.model_repo : c.mount_path;
  if (Status s = check_run_root(c, mount); !s.ok()) return s;
  if (d.name.empty() || dns_part(d.name, 63) != d.name)
    return InvalidInput("InferenceService name '" + d.name +
                        "' must be a DNS-1123 label (a-z, 0-9, '-')");
  TaskLaunch pseudo;  // the serving container shares the task containers' environment rules
  Json requests = {{"cpu", k8s_cpu_quantity(d.millicpus)},
                   {"memory", std::to_string(d.memory_bytes)}};
  Json limits = {{"memory", std::to_string(d.memory_bytes)}};
  if (d.gpus > 0) limits["nvidia.com/gpu"] = std::to_string(d.gpus);
  Json probe = {{"httpGet", {{"path", "/v2/health/ready"}, {"port", 8080}}}, {"periodSeconds", 5}};
  Json ctr = {{"name", "kserve-container"},
              {"image", c.image},
              {"imagePullPolicy", c.image_pull_policy},
              {"command", Json::array({self_exe, "serve", "--model-repo", d.model_repo, "--host",
                                       "0.0.0.0", "--port", "8080"})},
              {"ports", Json::array({{{"containerPort", 8080}, {"protocol", "TCP"}}})},
              {"env", env_list(pseudo, c)},
              {"readinessProbe", probe},
              {"resources", {{"requests", requests}, {"limits", limits}}},
              {"volumeMounts", mounts(pseudo, mount, false)}};
  Json predictor = {{"minReplicas", d.min_replicas},
                    {"maxReplicas", d.max_replicas},
                    {"containers", Json::array({ctr})},
                    {"volumes", volumes(pseudo, c, false)}};
  if (d.canary_percent >= 0) predictor["canaryTrafficPercent"] = d.canary_percent;
  if (!c.node_selector.empty()) predictor["nodeSelector"] = c.node_selector;
  if (c.tolerations.is_array() && !c.tolerations.empty()) predictor["tolerations"] = c.tolerations;
  if (c.affinity.is_object() && !c.affinity.empty()) predictor["affinity"] = c.affinity;
  if (!c.service_account.empty()) predictor["serviceAccountName"] = c.service_account;
  Json meta = {{"name", d.name},
               {"labels",
                {{"app.kubernetes.io/managed-by", "slipway"},
                 {"slipway.dev/model", k8s_label_value(d.model)}}},
               {"annotations",
                {{"slipway.dev/model-version", std::to_string(d.version)},
                 // a Deployment and Service: no Knative needed on the cluster
                 {"serving.kserve.io/deploymentMode", "RawDeployment"}}}};
  if (!c.ns.empty()) meta["namespace"] = c.ns;
  return Json{{"apiVersion", "serving.kserve.io/v1beta1"},
              {"kind", "InferenceService"},
              {"metadata", meta},
              {"spec", {{"predictor", predictor}}}};
}

}  // namespace slipway::backends
