// Settings of the Kubernetes backend: where and how task pods run. Read from the YAML file named
// by $SLIPWAY_K8S_CONFIG, else $SLIPWAY_HOME/k8s.yaml when it exists; every key is optional:
//
//   namespace: ml                   # where objects go (default: kubectl's current namespace)
//   context: gpu-cluster            # kubectl --context
//   kubectl: /usr/bin/kubectl       # the client to call
//   image: registry.example/slipway:0.1   # task image; it must hold slipway at the same path
//   slipway_path: /usr/local/bin/slipway  # slipway inside the image (default: the driver's own
//   path) component_images: true          # a component naming an image runs in it (else in
//   `image`) image_pull_policy: IfNotPresent service_account: slipway-task run_root: # the store's
//   directory, mounted at the same path in every pod
//     pvc: slipway-data             #   a PersistentVolumeClaim (ReadWriteMany) ...
//     host_path: /shared/slipway    #   ... or a hostPath every node has
//     mount_path: /var/lib/slipway  #   default: $SLIPWAY_HOME of the driver
//   node_selector: {nvidia.com/gpu.present: "true"}
//   tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
//   affinity: {...}                 # a pod Affinity object
//   distributed: pytorchjob         # multi-rank tasks: pytorchjob (kubeflow.org/v1) or mpijob
//   (v2beta1) mpi_worker_command: [/usr/sbin/sshd, -De] gang: none                      # none |
//   volcano | kueue | scheduler-plugins queue: research                 # Kueue LocalQueue or
//   Volcano queue name priority_class: high env: {NCCL_DEBUG: WARN} image_pull_grace: 2m # a pod
//   that cannot pull its image this long fails its attempt poll_interval: 2s               # one
//   `kubectl get` per interval for all of a run's objects max_in_flight: 500
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace slipway::backends {

struct K8sConfig {
  std::string ns, context, kubectl = "kubectl";
  std::string image = "slipway:latest", image_pull_policy = "IfNotPresent";
  std::string slipway_path;
  bool component_images = true;
  std::string service_account;
  std::string pvc, host_path, mount_path;
  std::map<std::string, std::string> node_selector;
  Json tolerations;  // null or list
  Json affinity;     // null or object
  std::string distributed = "pytorchjob";
  std::vector<std::string> mpi_worker_command = {"/usr/sbin/sshd", "-De"};
  std::string gang = "none";
  std::string queue;
  std::string priority_class;
  std::map<std::string, std::string> env;
  std::int64_t poll_interval_ms = 2000;
  std::int64_t image_pull_grace_ms = 120'000;
  int max_in_flight = 500;

  // kubectl with --context/--namespace when set, then `args`.
  std::vector<std::string> kubectl_argv(std::vector<std::string> args) const;

  static Result<K8sConfig> load_default();
  static Result<K8sConfig> load(const std::string& path);
};

}  // namespace slipway::backends
