#include "backends/k8s/k8s_backend.h"

#include <filesystem>
#include <fstream>

#include "backends/k8s/manifests.h"
#include "backends/kfp_volume.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/subprocess.h"

namespace slipway::backends {

namespace {

// The kinds slipway applies, each with its resource name for kubectl. The Training Operator's
// and Kubeflow Trainer's kinds beyond PyTorchJob and MPIJob come from job files applied as
// written.
const std::vector<std::pair<std::string, std::string>>& kinds_applied() {
  static const std::vector<std::pair<std::string, std::string>> k = {
      {"Job", "jobs.batch"},
      {"PyTorchJob", "pytorchjobs.kubeflow.org"},
      {"MPIJob", "mpijobs.kubeflow.org"},
      {"TFJob", "tfjobs.kubeflow.org"},
      {"XGBoostJob", "xgboostjobs.kubeflow.org"},
      {"PaddleJob", "paddlejobs.kubeflow.org"},
      {"JAXJob", "jaxjobs.kubeflow.org"},
      {"TrainJob", "trainjobs.trainer.kubeflow.org"}};
  return k;
}

std::string resource_of(const std::string& kind) {
  for (const auto& [k, r] : kinds_applied())
    if (k == kind) return r;
  return "jobs.batch";
}

std::string said(const CommandResult& r) { return trim(r.err.empty() ? r.out : r.err); }

// What `kubectl logs` reads for an object: the Job's pod, the PyTorchJob's master, the MPIJob's
// launcher (a Job of the MPI Operator), whose mpirun gathers every rank's output.
// The other operators' replicas are found by the label their operator puts on every pod, and
// their lines prefixed with the pod's name.
std::vector<std::string> log_target(const std::string& kind, const std::string& name) {
  if (kind == "PyTorchJob") return {"pod/" + name + "-master-0"};
  if (kind == "MPIJob") return {"job/" + name + "-launcher"};
  if (kind == "TrainJob") return {"-l", "jobset.sigs.k8s.io/jobset-name=" + name, "--prefix"};
  if (kind != "Job") return {"-l", "training.kubeflow.org/job-name=" + name, "--prefix"};
  return {"job/" + name};
}

}  // namespace

K8sBackend::K8sBackend(K8sConfig config, std::string self_exe)
    : config_(std::move(config)), self_exe_(std::move(self_exe)) {}

Result<CommandResult> K8sBackend::kubectl(const std::vector<std::string>& args,
                                          const std::string& stdin_text) {
  ++calls_[args[0]];
  return run_command(config_.kubectl_argv(args), 120'000, stdin_text);
}

Status K8sBackend::check_fits(const spec::Resources& r) const {
  // The scheduler is the judge of what fits; a pod no node can hold stays Pending with the
  // scheduler's reason, which the poll passes on.
  if (r.nodes < 1 || r.tasks_per_node < 1) return InvalidInput("asks for no nodes or no tasks");
  return Status::Ok();
}

bool K8sBackend::has_room(const spec::Resources&) const {
  return static_cast<int>(objects_.size()) + reserved_ < config_.max_in_flight;
}

bool K8sBackend::reserve(const spec::Resources& r) {
  if (!has_room(r)) return false;
  ++reserved_;
  return true;
}

Result<K8sBackend::Prepared> K8sBackend::prepare(const TaskLaunch& l) {
  if (reserved_ > 0) --reserved_;
  auto obj = render_task_object(l, config_, self_exe_);
  if (!obj.ok()) return obj.status();
  // The manifest stays beside the attempt's logs, as the sbatch script does on Slurm.
  Prepared p;
  p.path = l.workdir + "/attempt-" + std::to_string(l.attempt) + ".k8s.json";
  std::error_code ec;
  std::filesystem::create_directories(l.workdir, ec);
  if (Status st = write_file_atomic(p.path, obj->dump(2) + "\n"); !st.ok()) return st;
  p.name = (*obj)["metadata"]["name"];
  p.tracked = Tracked{l.key, (*obj)["kind"], l.stderr_path, false, ""};
  // Pods in a foreign image (a component's own, or a job file's) have no `slipway __tee`: their
  // output is read with `kubectl logs` when they end.
  if (!k8s_component_image_argv(l, config_, self_exe_).empty() || l.env.count(kK8sJobManifestEnv))
    p.tracked.stdout_path = l.stdout_path;
  return p;
}

LaunchHandle K8sBackend::track(const TaskLaunch& l, const Prepared& p) {
  run_label_ = k8s_label_value(l.run_id);
  objects_[p.name] = p.tracked;
  by_key_[l.key] = p.name;
  return LaunchHandle{0, p.name};
}

std::optional<Result<LaunchHandle>> K8sBackend::run_volume_step(const TaskLaunch& l) {
  auto step = kfp_volume_step(l.argv);
  if (step.ok() && !*step) return std::nullopt;
  if (reserved_ > 0) --reserved_;
  if (!step.ok()) return Result<LaunchHandle>(step.status());
  const KfpVolumeStep& s = **step;
  Completion c;
  c.key = l.key;
  c.exit_code = 0;
  Result<CommandResult> r = Failed("not run");
  if (s.op == "create") {
    std::string out = kfp_volume_name_output(s);
    if (out.empty())
      return Result<LaunchHandle>(InvalidInput("CreatePVC declares no output 'name'"));
    // The manifest stays beside the step's logs, as a Job's does.
    std::string path = l.workdir + "/attempt-" + std::to_string(l.attempt) + ".k8s.json";
    std::error_code ec;
    std::filesystem::create_directories(l.workdir, ec);
    if (Status w = write_file_atomic(path, kfp_pvc_manifest(s).dump(2) + "\n"); !w.ok())
      return Result<LaunchHandle>(w);
    r = kubectl({"apply", "-f", path});
    if (r.ok() && r->exit_code == 0) {
      if (Status w = write_file_atomic(out, s.claim); !w.ok()) return Result<LaunchHandle>(w);
      c.message = "PersistentVolumeClaim " + s.claim + " applied";
    }
  } else {
    r = kubectl({"delete", "persistentvolumeclaim", s.claim, "--ignore-not-found"});
    if (r.ok() && r->exit_code == 0) c.message = "PersistentVolumeClaim " + s.claim + " deleted";
  }
  if (!r.ok()) return Result<LaunchHandle>(r.status());
  if (r->exit_code != 0) {
    c.exit_code = 1;
    c.message = "kubectl refused the claim " + s.claim + ": " + said(*r);
  }
  c.finished_ms = now_ms();
  settled_.push_back(std::move(c));
  return Result<LaunchHandle>(LaunchHandle{0, "pvc/" + s.claim});
}

Result<LaunchHandle> K8sBackend::launch(const TaskLaunch& l) {
  if (auto v = run_volume_step(l)) return *v;
  auto p = prepare(l);
  if (!p.ok()) return p.status();
  auto r = kubectl({"apply", "-f", p->path});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return Failed("kubectl apply refused " + l.key + ": " + said(*r));
  return track(l, *p);
}

std::vector<Result<LaunchHandle>> K8sBackend::launch_many(const std::vector<TaskLaunch>& ls) {
  // One `kubectl apply -f A -f B ...` per 200 objects rather than one per task: a 1,000-item
  // fan-out is 5 calls. When a call fails, its objects are applied one by one so each refusal
  // reaches its own task (objects the call did create are then "unchanged").
  constexpr size_t kPerCall = 200;
  std::vector<Result<LaunchHandle>> out(ls.size(), Result<LaunchHandle>(Failed("not launched")));
  std::vector<std::pair<size_t, Prepared>> ready;
  for (size_t i = 0; i < ls.size(); ++i) {
    if (auto v = run_volume_step(ls[i])) {
      out[i] = *v;
      continue;
    }
    auto p = prepare(ls[i]);
    if (p.ok())
      ready.push_back({i, *p});
    else
      out[i] = p.status();
  }
  for (size_t from = 0; from < ready.size(); from += kPerCall) {
    size_t to = std::min(ready.size(), from + kPerCall);
    std::vector<std::string> args = {"apply"};
    for (size_t k = from; k < to; ++k) args.insert(args.end(), {"-f", ready[k].second.path});
    auto r = kubectl(args);
    bool all = r.ok() && r->exit_code == 0;
    for (size_t k = from; k < to; ++k) {
      const auto& [i, p] = ready[k];
      if (all) {
        out[i] = track(ls[i], p);
        continue;
      }
      auto one = to - from == 1 ? r : kubectl({"apply", "-f", p.path});
      if (!one.ok())
        out[i] = one.status();
      else if (one->exit_code != 0)
        out[i] = Failed("kubectl apply refused " + ls[i].key + ": " + said(*one));
      else
        out[i] = track(ls[i], p);
    }
  }
  return out;
}

Result<std::map<std::string, K8sAttemptState>> K8sBackend::list(
    const std::set<std::string>& kinds) {
  std::vector<std::string> resources = {"jobs.batch", "pods"};
  for (const auto& k : kinds)
    if (k != "Job") resources.push_back(resource_of(k));
  auto r = kubectl({"get", join(resources, ","), "-l", std::string(kK8sRunLabel) + "=" + run_label_,
                    "-o", "json"});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return Failed("kubectl get: " + said(*r));
  try {
    return parse_k8s_list(Json::parse(r->out));
  } catch (const Json::exception& e) {
    return Failed(std::string("kubectl get printed no JSON list: ") + e.what());
  }
}

std::vector<Completion> K8sBackend::wait(std::int64_t timeout_ms) {
  std::vector<Completion> out;
  if (!settled_.empty()) {
    out.swap(settled_);
    return out;
  }
  if (!sleep_until_poll_due(last_poll_ms_, config_.poll_interval_ms, timeout_ms, objects_.empty()))
    return out;
  last_poll_ms_ = now_ms();
  ++polls_;
  std::set<std::string> kinds;
  for (const auto& [_, t] : objects_) kinds.insert(t.kind);
  auto states = list(kinds);
  if (!states.ok()) {
    // The API server can be away for a while (upgrades); the attempts go on without us.
    ++failed_polls_;
    last_error_ = states.status().message();
    return out;
  }
  for (auto it = objects_.begin(); it != objects_.end();) {
    const std::string& name = it->first;
    Tracked& t = it->second;
    auto s = states->find(name);
    Completion c;
    if (s == states->end()) {
      c.key = t.key;
      c.finished_ms = now_ms();
      c.terminated = t.terminating;
      c.message = t.kind + " " + name +
                  (t.terminating ? " was deleted on request"
                                 : " is gone: deleted outside slipway, or removed after its TTL; "
                                   "its outcome is lost");
    } else if (s->second.finished) {
      keep_pod_log(name, t, s->second.succeeded);
      c = completion_from_k8s(s->second);
      c.key = t.key;
    } else if (s->second.hopeless &&
               now_ms() - hopeless_since_.emplace(t.key, now_ms()).first->second >=
                   config_.image_pull_grace_ms) {
      // A registry can be away for a while (rate limits); an image that never comes must not
      // hang the run.
      keep_pod_log(name, t, false);
      remove(name, t, 0);
      c = completion_from_k8s(s->second);
      c.key = t.key;
    } else {
      if (!s->second.hopeless) hopeless_since_.erase(t.key);
      waiting_[t.key] = s->second.message;
      ++it;
      continue;
    }
    waiting_.erase(t.key);
    hopeless_since_.erase(t.key);
    by_key_.erase(t.key);
    out.push_back(std::move(c));
    it = objects_.erase(it);
  }
  return out;
}

void K8sBackend::keep_pod_log(const std::string& name, const Tracked& t, bool succeeded) {
  std::error_code ec;
  bool whole = !t.stdout_path.empty();
  if (!whole &&
      (succeeded || t.stderr_path.empty() || std::filesystem::file_size(t.stderr_path, ec) > 0))
    return;
  std::vector<std::string> args = {"logs"};
  for (auto& a : log_target(t.kind, name)) args.push_back(a);
  args.push_back("--all-containers");
  if (!whole) args.push_back("--tail=200");
  auto r = kubectl(args);
  if (!r.ok() || r->exit_code != 0) return;
  if (whole) {
    if (Status w = write_file_atomic(t.stdout_path, r->out); !w.ok())
      std::fprintf(stderr, "slipway: warning: the log of %s was not kept: %s\n", name.c_str(),
                   w.message().c_str());
  } else if (!r->out.empty()) {
    std::ofstream(t.stderr_path, std::ios::app) << r->out;
  }
}

void K8sBackend::remove(const std::string& name, const Tracked& t, std::int64_t grace_ms) {
  std::vector<std::string> args = {"delete", resource_of(t.kind), name, "--ignore-not-found",
                                   "--wait=false"};
  if (grace_ms > 0) args.push_back("--grace-period=" + std::to_string((grace_ms + 999) / 1000));
  warn_unless_succeeded(kubectl(args), "kubectl delete " + resource_of(t.kind) + " " + name,
                        "it may still run: delete it by hand");
}

void K8sBackend::terminate(const std::string& key, std::int64_t grace_ms) {
  // Deleting the object deletes its pods: SIGTERM, then SIGKILL after the grace period.
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  Tracked& t = objects_[it->second];
  t.terminating = true;
  remove(it->second, t, grace_ms);
}

Result<std::vector<std::string>> K8sBackend::reattach(const std::string& run_id,
                                                      const std::vector<Adoptable>& running) {
  run_label_ = k8s_label_value(run_id);
  std::map<std::string, std::string> wanted;  // key -> recorded object name
  for (const auto& a : running) wanted[a.key] = a.backend_id;
  std::vector<std::string> adopted;
  // Each kind alone: a cluster without the Training Operator or the MPI Operator has no such
  // resource, and kubectl then fails the whole call.
  for (const auto& [kind, _] : kinds_applied()) {
    auto r = kubectl({"get", resource_of(kind) + ",pods", "-l",
                      std::string(kK8sRunLabel) + "=" + run_label_, "-o", "json"});
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) {
      if (kind != "Job" && said(*r).find("resource type") != std::string::npos) continue;
      return Failed("kubectl get: " + said(*r));
    }
    std::map<std::string, K8sAttemptState> found;
    try {
      found = parse_k8s_list(Json::parse(r->out));
    } catch (const Json::exception& e) {
      return Failed(std::string("kubectl get printed no JSON list: ") + e.what());
    }
    for (const auto& [name, s] : found) {
      if (s.kind != kind) continue;
      auto w = wanted.find(s.key);
      bool ours =
          w != wanted.end() && (w->second.empty() || w->second == name) && !by_key_.count(s.key);
      Tracked t{s.key, kind, s.stderr_path, false, s.logs_via_kubectl ? s.stdout_path : ""};
      if (ours) {
        objects_[name] = t;
        by_key_[s.key] = name;
        adopted.push_back(s.key);
      } else if (!s.finished) {
        remove(name, t, 0);  // a launch the dead driver never recorded: it must not run twice
      }
    }
  }
  return adopted;
}

Json K8sBackend::stats() const {
  Json s = {{"client_calls", calls_}, {"polls", polls_}, {"failed_polls", failed_polls_}};
  if (!last_error_.empty()) s["last_error"] = last_error_;
  return s;
}

}  // namespace slipway::backends
