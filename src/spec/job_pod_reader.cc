// The pods and containers of a job's replicas: which container runs, its command, env,
// resources and volumes, each field applied, warned about or refused at its line.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/strings.h"
#include "core/units.h"
#include "spec/job_reader.h"

namespace slipway::spec::job_reader {

namespace {

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

}  // namespace

bool JobReader::read_pod(const YAML::Node& pod, const Operator& op, bool v2beta1, ReplicaGroup* g) {
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

bool JobReader::read_container(const YAML::Node& c, const Operator& op, bool v2beta1,
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

void JobReader::read_env(const YAML::Node& env, ReplicaGroup* g) {
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

void JobReader::read_resources(const YAML::Node& r, ReplicaGroup* g) {
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

void JobReader::read_mounts(const YAML::Node& mounts,
                            const std::map<std::string, YAML::Node>& volumes, ReplicaGroup* g) {
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

}  // namespace slipway::spec::job_reader
