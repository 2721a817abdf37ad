// What the API server says about a run's objects, read from one `kubectl get
// jobs,pods[,pytorchjobs,mpijobs] -l slipway.dev/run=... -o json` List. Pure functions, unit-tested
// on the shapes the API documents (Job status conditions, the Training Operator's JobStatus,
// pod containerStatuses).
#pragma once

#include <map>
#include <string>

#include "backends/backend.h"

namespace slipway::backends {

struct K8sAttemptState {
  std::string kind, name;                // the object (Job, PyTorchJob, MPIJob)
  std::string key;                       // its launch key (annotation)
  std::string stdout_path, stderr_path;  // its log files (annotations)
  bool logs_via_kubectl = false;         // its pod runs in a component's image
  bool finished = false, succeeded = false;
  bool timed_out = false;       // activeDeadlineSeconds passed
  bool infrastructure = false;  // a pod was evicted, preempted or lost with its node
  bool hopeless = false;        // still "running" but cannot start (bad image, bad config)
  int exit_code = -1;           // of the failed (or main) container, when a pod says
  std::string message;          // why it ended, or why it waits
};

// The attempts in the list, keyed by object name. Pods are matched to their object by the
// launch-key annotation and contribute exit codes, OOM kills, evictions and image errors.
std::map<std::string, K8sAttemptState> parse_k8s_list(const Json& list);

// An ended attempt as the engine's Completion.
Completion completion_from_k8s(const K8sAttemptState& s);

}  // namespace slipway::backends
