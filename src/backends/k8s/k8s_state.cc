#include "backends/k8s/k8s_state.h"

#include <vector>

#include "backends/k8s/manifests.h"
#include "core/clock.h"

namespace slipway::backends {

namespace {

std::string str(const Json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>()
                                                            : std::string();
}

const Json& at(const Json& j, std::initializer_list<const char*> path) {
  static const Json kNull;
  const Json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return kNull;
    p = &(*p)[k];
  }
  return *p;
}

// A condition of this type whose status is "True", or null.
const Json* true_condition(const Json& status, const std::string& type) {
  const Json& conds = at(status, {"conditions"});
  if (!conds.is_array()) return nullptr;
  for (const auto& c : conds)
    if (str(c, "type") == type && str(c, "status") == "True") return &c;
  return nullptr;
}

bool mentions_deadline(const Json* c) {
  return c && (str(*c, "reason").find("DeadlineExceeded") != std::string::npos ||
               str(*c, "message").find("activeDeadlineSeconds") != std::string::npos);
}

void read_object(const Json& obj, K8sAttemptState* s) {
  const Json& status = at(obj, {"status"});
  s->kind = str(obj, "kind");
  s->name = str(at(obj, {"metadata"}), "name");
  const Json& notes = at(obj, {"metadata", "annotations"});
  s->key = str(notes, kK8sKeyAnnotation);
  s->stdout_path = str(notes, kK8sStdoutAnnotation);
  s->stderr_path = str(notes, kK8sStderrAnnotation);
  s->logs_via_kubectl = str(notes, kK8sLogsViaKubectlAnnotation) == "true";
  // Jobs and TrainJobs (JobSet's) say Complete; the Training Operator's and the MPI Operator's
  // kinds, Succeeded.
  const char* ok_type = s->kind == "Job" || s->kind == "TrainJob" ? "Complete" : "Succeeded";
  if (const Json* c = true_condition(status, ok_type)) {
    s->finished = s->succeeded = true;
    s->message = str(*c, "message");
  } else if (const Json* f = true_condition(status, "Failed")) {
    s->finished = true;
    s->timed_out = mentions_deadline(f);
    s->message = str(*f, "reason") + (str(*f, "message").empty() ? "" : ": " + str(*f, "message"));
  } else if (const Json* p = true_condition(status, "Suspended");
             p || at(obj, {"spec", "suspend"}) == true) {
    s->message = "suspended, waiting for admission (Kueue) or for someone to resume it";
  }
}

// What a pod adds: the exit code and reason of its failed container, an eviction, an image that
// can never be pulled, or why it is not scheduled.
void read_pod(const Json& pod, K8sAttemptState* s) {
  const Json& status = at(pod, {"status"});
  std::string pod_name = str(at(pod, {"metadata"}), "name");
  if (true_condition(status, "DisruptionTarget") || str(status, "reason") == "Evicted" ||
      str(status, "reason") == "Preempting" || str(status, "reason") == "NodeLost") {
    s->infrastructure = true;
    if (s->message.empty() || s->finished)
      s->message += (s->message.empty() ? "" : "; ") + std::string("pod ") + pod_name + " was " +
                    (str(status, "reason").empty() ? "disrupted" : str(status, "reason")) +
                    (str(status, "message").empty() ? "" : ": " + str(status, "message"));
  }
  const Json& cs = at(status, {"containerStatuses"});
  if (cs.is_array()) {
    for (const auto& c : cs) {
      const Json& term = at(c, {"state", "terminated"});
      if (term.is_object()) {
        int code = term.value("exitCode", -1);
        if (code != 0 && (s->exit_code <= 0)) {
          s->exit_code = code;
          std::string why = str(term, "reason");
          if (why == "OOMKilled") why = "OOMKilled: the container went over its memory limit";
          s->message += (s->message.empty() ? "" : "; ") + std::string("pod ") + pod_name +
                        " container " + str(c, "name") + " exited " + std::to_string(code) +
                        (why.empty() ? "" : " (" + why + ")");
        } else if (code == 0 && s->exit_code < 0) {
          s->exit_code = 0;
        }
      }
      const Json& wait = at(c, {"state", "waiting"});
      std::string reason = str(wait, "reason");
      static const std::vector<std::string> kHopeless = {
          "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError",
          "CreateContainerError"};
      for (const auto& h : kHopeless)
        if (reason == h) {
          s->hopeless = true;
          s->message = "pod " + pod_name + " cannot start: " + reason +
                       (str(wait, "message").empty() ? "" : ": " + str(wait, "message"));
        }
    }
  }
  const Json* sched = nullptr;
  if (const Json& conds = at(status, {"conditions"}); conds.is_array())
    for (const auto& c : conds)
      if (str(c, "type") == "PodScheduled" && str(c, "status") == "False") sched = &c;
  if (sched && !s->finished && !s->hopeless)
    s->message = "pod " + pod_name + " is not scheduled: " + str(*sched, "reason") + " " +
                 str(*sched, "message");
}

}  // namespace

std::map<std::string, K8sAttemptState> parse_k8s_list(const Json& list) {
  std::map<std::string, K8sAttemptState> out;
  std::map<std::string, std::string> name_of_key;
  const Json& items = at(list, {"items"});
  if (!items.is_array()) return out;
  std::vector<const Json*> pods;
  for (const auto& obj : items) {
    std::string kind = str(obj, "kind");
    if (kind == "Pod") {
      pods.push_back(&obj);
    } else if (!kind.empty()) {  // the objects slipway applied: Jobs and training jobs
      K8sAttemptState s;
      read_object(obj, &s);
      if (s.name.empty()) continue;
      name_of_key[s.key] = s.name;
      out[s.name] = s;
    }
  }
  for (const Json* pod : pods) {
    std::string key = str(at(*pod, {"metadata", "annotations"}), kK8sKeyAnnotation);
    auto it = name_of_key.find(key);
    if (it != name_of_key.end()) read_pod(*pod, &out[it->second]);
  }
  return out;
}

Completion completion_from_k8s(const K8sAttemptState& s) {
  Completion c;
  c.key = s.key;
  c.finished_ms = now_ms();
  c.timed_out = s.timed_out;
  c.infrastructure = s.infrastructure && !s.succeeded;
  if (s.succeeded) {
    c.exit_code = 0;
  } else {
    // 128+N from a container is death by signal N (137: SIGKILL, the OOM killer's too).
    if (s.exit_code > 128 && s.exit_code < 160) {
      c.signal = s.exit_code - 128;
    } else {
      c.exit_code = s.exit_code > 0 ? s.exit_code : -1;
    }
  }
  c.message = s.kind + " " + s.name + (s.succeeded ? " succeeded" : " failed") +
              (s.message.empty() ? "" : ": " + s.message);
  return c;
}

}  // namespace slipway::backends
