// The engine: drives one run of a pipeline to its end, one task attempt at a time, over a
// Backend, with every transition durable in the store before it takes effect.
//
// States of a task (dag/task_state.h), and what moves it:
//
//   PENDING --deps done, condition true, inputs resolved, resources reserved--> RUNNING
//   PENDING --condition false, or an upstream task SKIPPED-----------------> SKIPPED
//   PENDING --an upstream task FAILED, UPSTREAM_FAILED or CANCELLED (unless `finally`)-->
//             UPSTREAM_FAILED
//   PENDING --its condition cannot be evaluated-----------------------------> FAILED
//   PENDING --cache hit with every artifact unchanged on disk--------------> SUCCEEDED (cached)
//   RUNNING --exit 0 and outputs collected---------------------------------> SUCCEEDED
//   RUNNING --failed or timed out, retries left---------> PENDING (ready again after the delay)
//   RUNNING --lost to the infrastructure (node failure, preemption), fewer than 3 so far------->
//             PENDING at once, not counted as a retry
//   RUNNING --failed, no retries left--------------------------------------> FAILED
//   any non-terminal --run cancelled--------------------------------------> CANCELLED
//
// A task in loops is a tree of instances: group nodes per iteration of its outer loops and a leaf
// per item, each waiting only for the same iteration's upstream instances; a group is RUNNING
// while any child is and ends when all have (FAILED if one did), with the list of the children's
// outputs (engine_loops.cc). Finally tasks depend on every other task and run whatever those
// ended as. Each attempt has its
// own row (attempts table), RUNNING until its completion arrives.
//
// The loop (run()): one store transaction per turn. A turn applies what the backend reported
// (completions), releases retries whose delay is over, marks timeouts, polls for a cancel request,
// and picks what can start; all of it is written in that turn's batch. Only after the batch
// commits does the engine act: kills first, then launches. So the store never lags what runs:
// a task is RUNNING, with its attempt row, before its process exists, and a write that fails
// rolls the whole turn back with nothing launched or killed (the driver then exits; see
// Engine::note). The backend's pid or job id for an attempt is written in the next turn.
//
// What resume relies on (prepare(), in engine_prepare.cc): a task stored as SUCCEEDED, FAILED,
// SKIPPED or UPSTREAM_FAILED keeps its outcome (and its outputs, for downstream inputs), unless
// `runs retry` asks for the failed ones again; anything else starts again as PENDING. Attempts
// left RUNNING by a dead driver are offered to the backend, which adopts those it can still
// follow (a Slurm job, a Kubernetes object; the local backend cannot wait for processes it did
// not start, so it adopts none) and stops everything else of the run; the rest are marked LOST
// and their tasks run again. So a resumed run never runs an ended task again by accident, and
// never leaves an orphan running unseen.
#include "dag/engine.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>

#include "core/clock.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/strings.h"
#include "core/units.h"
#include "dag/kubernetes_env.h"
#include "dag/kubernetes_mounts.h"
#include "spec/validate.h"

namespace slipway::dag {

namespace fs = std::filesystem;

Engine::Engine(store::Store& store, backends::Backend& backend, const spec::PipelineSpec& spec,
               store::RunRecord run, EngineOptions opts)
    : store_(store), backend_(backend), spec_(spec), run_(std::move(run)), opts_(std::move(opts)) {
  if (run_.params.is_object())
    for (auto& [k, v] : run_.params.items()) params_[k] = v;
}

// ---------------------------------------------------------------- decisions

ResolveContext Engine::context_for(const Node& n) {
  ResolveContext ctx;
  ctx.spec = &spec_;
  ctx.params = &params_;
  // A leaf's own item ({{item}}) is that of the innermost loop.
  ctx.item = !n.path.empty() && !n.is_group ? &n.loop_items.at(chains_.at(n.task->name).back().id)
                                            : nullptr;
  ctx.loop_items = &n.loop_items;
  ctx.item_index = n.item_index;
  ctx.run_id = run_.id;
  ctx.run_root = run_.root;
  ctx.run_status = final_state();
  ctx.task_name = n.name;
  ctx.attempt = n.attempts + 1;
  // Another task as this instance sees it: inside the loops both are in, the same iteration's
  // instance; outside them, the lists of all its instances.
  auto seen = [this, &n](const std::string& task) {
    const spec::Task* up = spec_.task(task);
    size_t k = up ? std::min(common_depth(*n.task, *up), n.path.size()) : 0;
    return std::make_pair(up, std::vector<int>(n.path.begin(), n.path.begin() + k));
  };
  ctx.task_output = [this, seen](const std::string& task, const std::string& out) -> Result<Json> {
    auto [up, path] = seen(task);
    if (!up) return InvalidInput("there is no task '" + task + "'");
    std::string which = instance_name(task, path);
    TaskState s = instance_state(*up, path);
    if (s != TaskState::kSucceeded)
      return InvalidInput("task '" + which + "' did not succeed (" + to_string(s) +
                          "), so its output '" + out + "' does not exist");
    auto outs = instance_outputs(*up, path);
    if (!outs.ok()) return outs.status();
    if (!outs->contains(out))
      return InvalidInput("task '" + which + "' has no output '" + out + "'");
    return (*outs)[out];
  };
  ctx.task_status = [this, seen](const std::string& task) {
    auto [up, path] = seen(task);
    return up ? std::string(to_string(instance_state(*up, path))) : std::string("UNKNOWN");
  };
  ctx.import_artifact = [this](const std::string& path, const std::string& type) {
    return import_artifact(path, type);
  };
  return ctx;
}

void Engine::evaluate(int idx) {
  Node& n = nodes_[idx];
  if (n.state != TaskState::kPending) return;
  if (cancelling_) return finish(n, TaskState::kCancelled, "run cancelled");
  if (!n.checked) {
    auto which = [&](const spec::Task* up) { return instance_name(up->name, n.path); };
    if (!n.task->is_finally && !n.task->ignore_upstream_failure) {
      for (const spec::Task* up : n.awaited) {
        TaskState s = instance_state(*up, n.path);
        if (s == TaskState::kFailed || s == TaskState::kUpstreamFailed ||
            s == TaskState::kCancelled)
          return finish(n, TaskState::kUpstreamFailed,
                        "upstream task '" + which(up) + "' " + to_string(s));
      }
      // A task read through a OneOf may be skipped (its branch did not run); the reader is
      // skipped only when every branch was.
      auto groups = spec::oneof_groups(*n.task);
      auto in_oneof = [&](const std::string& name) {
        for (const auto& g : groups)
          if (std::find(g.begin(), g.end(), name) != g.end()) return true;
        return false;
      };
      for (const spec::Task* up : n.awaited)
        if (instance_state(*up, n.path) == TaskState::kSkipped && !in_oneof(up->name))
          return finish(n, TaskState::kSkipped, "upstream task '" + which(up) + "' was skipped");
      for (const auto& g : groups) {
        bool all_skipped = true, all_here = true;
        for (const auto& name : g) {
          const spec::Task* up = spec_.task(name);
          all_here = all_here && common_depth(*n.task, *up) == n.path.size();
          all_skipped = all_skipped && instance_state(*up, n.path) == TaskState::kSkipped;
        }
        if (all_here && all_skipped)
          return finish(n, TaskState::kSkipped,
                        "every branch it reads (" + join(g, ", ") + ") was skipped");
      }
    }
    // A condition is decided at the depth where all it reads is known: a pipeline parameter's
    // once for the whole task, an item's or an iteration's task's per iteration.
    if (n.task->when && when_depth_.at(n.task->name) == n.path.size()) {
      ResolveContext ctx = context_for(n);
      auto ok = n.task->when->evaluate([&](const spec::Ref& r) { return resolve_ref(ctx, r); });
      if (!ok.ok()) return finish(n, TaskState::kFailed, "condition: " + ok.status().message());
      if (!*ok)
        return finish(n, TaskState::kSkipped, "condition is false: " + n.task->when->text());
    }
    n.checked = true;
  }
  if (!admitted(n)) return;
  if (n.is_group) return expand(n);
  ready_.push_back(idx);
}

std::string Engine::task_dir(const Node& n) const {
  std::string safe = n.name;
  std::replace(safe.begin(), safe.end(), '[', '.');
  safe.erase(std::remove(safe.begin(), safe.end(), ']'), safe.end());
  return (fs::path(run_.root) / "tasks" / safe).string();
}

// Returns false when the node must wait for resources.
bool Engine::try_start(Node& n, std::vector<backends::TaskLaunch>* launches) {
  ResolveContext ctx = context_for(n);
  if (!n.comp) {
    finish(n, TaskState::kFailed, "component '" + n.task->component + "' is not defined");
    return true;
  }
  if (!n.inputs_ready) {
    auto in = resolve_inputs(ctx, *n.task, *n.comp);
    if (!in.ok()) {
      finish(n, TaskState::kFailed, in.status().message());
      return true;
    }
    n.inputs = *in;
    n.inputs_ready = true;
    if (Status r = apply_resource_inputs(ctx, *n.task, &n.resources); !r.ok()) {
      finish(n, TaskState::kFailed, r.message());
      return true;
    }
    n.cache_key = cache_key(*n.comp, n.inputs, n.task->cache_key);
    auto claims = kubernetes_claim_names(ctx, n.task->kubernetes);
    if (!claims.ok()) {
      finish(n, TaskState::kFailed, claims.status().message());
      return true;
    }
    if (!claims->empty()) n.cache_key = sha256_hex(n.cache_key + "\nvolumes:" + join(*claims, ","));
    if (n.task->cache && !opts_.no_cache) {
      if (auto hit = store_.get_cache(n.cache_key)) {
        // A hit counts only if every artifact it points to is still there, unchanged.
        bool intact = true;
        for (auto& [name, v] : hit->outputs.items()) {
          if (!is_artifact_value(v)) continue;
          auto a = store_.get_artifact(v["id"].get<std::int64_t>());
          struct stat st {};
          intact =
              intact && a.ok() && ::stat(a->uri.c_str(), &st) == 0 &&
              (S_ISDIR(st.st_mode) ||
               (st.st_size == a->size &&
                static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec ==
                    a->mtime_ns));
        }
        if (intact) {
          n.cached = true;
          n.outputs = hit->outputs;
          for (const auto& [name, v] : n.inputs)
            note(add_input_lineage(store_, run_.id, n.name, name, v));
          for (auto& [name, v] : n.outputs.items())
            if (is_artifact_value(v))
              note(store_.add_lineage(
                  {v["id"].get<std::int64_t>(), run_.id, n.name, "output", name}));
          finish(n, TaskState::kSucceeded, "cached from run " + hit->run_id + " task " + hit->task);
          return true;
        }
      }
    }
  }
  if (!backend_.has_room(n.resources)) return false;
  // Everything that can fail for this attempt is decided before resources are reserved.
  int attempt = n.attempts + 1;
  ctx.attempt = attempt;
  std::string dir = task_dir(n);
  std::string outputs_dir = dir + "/outputs";
  auto cl = render_command(ctx, *n.comp, n.inputs, outputs_dir, opts_.self_exe);
  if (!cl.ok()) {
    finish(n, TaskState::kFailed, cl.status().message());
    return true;
  }
  // kfp-kubernetes settings: a pod applies them itself; elsewhere they become values in the
  // environment and directories mounted for the step.
  Json pod_settings;
  std::vector<Mount> mounts;
  if (backend_.runs_pods()) {
    auto ps = kubernetes_pod_settings(ctx, n.task->kubernetes);
    if (!ps.ok()) {
      finish(n, TaskState::kFailed, ps.status().message());
      return true;
    }
    pod_settings = std::move(*ps);
  } else {
    if (Status s = add_kubernetes_env(ctx, n.task->kubernetes, &cl->env); !s.ok()) {
      finish(n, TaskState::kFailed, s.message());
      return true;
    }
    auto m = kubernetes_mounts(ctx, n.task->kubernetes, dir);
    if (!m.ok()) {
      finish(n, TaskState::kFailed, m.status().message());
      return true;
    }
    mounts = std::move(*m);
  }
  // A training job's replicas each run in their own image: its gang wraps them, not the task.
  bool job = n.task->resources.job_replicas > 0;
  if (job && !opts_.container_runtime.empty())
    cl->env["SLIPWAY_CONTAINER_RUNTIME"] = opts_.container_runtime;
  if (!opts_.container_runtime.empty() && !n.comp->image.empty() && !job) {
    // Inside its image the step brings its own Python; the managed environment is for the host.
    std::vector<std::string>& argv = cl->argv;
    if (argv.size() > 3 && argv[0] == opts_.self_exe && argv[1] == "__pyenv" && argv[2] == "--")
      argv.erase(argv.begin(), argv.begin() + 3);
    std::string image = n.comp->image.find("://") == std::string::npos ? "docker://" + n.comp->image
                                                                       : n.comp->image;
    argv.insert(argv.begin(), {opts_.container_runtime, "exec", "--pwd", dir, image});
  }
  bool in_image = !opts_.container_runtime.empty() && !n.comp->image.empty() && !job;
  cl->argv = with_mounts(mounts, std::move(cl->argv), in_image ? opts_.container_runtime : "");
  wrap_multi_rank(n.resources, opts_.self_exe, &cl->argv);
  if (cl->argv.empty() || cl->argv[0].empty()) {
    finish(n, TaskState::kFailed, "component '" + n.comp->name + "' has an empty command");
    return true;
  }
  if (!backend_.reserve(n.resources)) return false;
  n.attempts = attempt;
  std::error_code ec;
  // Outputs of an earlier attempt must not leak into this one. One mkdir per task where it can
  // be: directory creation is the largest cost of a trivial task.
  if (attempt > 1) fs::remove_all(outputs_dir, ec);
  if (::mkdir((n.comp->outputs.empty() ? dir : outputs_dir).c_str(), 0755) != 0 && errno != EEXIST)
    fs::create_directories(n.comp->outputs.empty() ? dir : outputs_dir, ec);
  backends::TaskLaunch l;
  l.key = n.name + "#" + std::to_string(n.attempts);
  l.run_id = run_.id;
  l.task = n.name;
  l.attempt = n.attempts;
  l.argv = cl->argv;
  l.env = cl->env;
  l.env["SLIPWAY_RUN_ID"] = run_.id;
  l.env["SLIPWAY_TASK"] = n.name;
  l.env["SLIPWAY_ATTEMPT"] = std::to_string(n.attempts);
  l.env["SLIPWAY_HOME"] = store_.home().string();
  l.workdir = dir;
  l.stdout_path = dir + "/attempt-" + std::to_string(n.attempts) + ".out";
  l.stderr_path = dir + "/attempt-" + std::to_string(n.attempts) + ".err";
  l.resources = n.resources;
  l.timeout_ms = n.task->timeout_ms;
  l.pod_settings = std::move(pod_settings);
  l.notes = n.comp->notes;
  if (opts_.container_runtime.empty()) l.image = n.comp->image;  // (else argv already runs in it)
  if (n.group >= 0) {
    // Items of one loop iteration of the task's outer loops go together (one job array).
    const Node& parent = nodes_[n.group];
    l.group = parent.group < 0 ? n.task->name : fs::path(task_dir(parent)).filename().string();
    l.item_index = n.item_index;
    l.parallelism = loop_run(parent).backend_limit;
  }
  commands_[l.key] = *cl;

  n.launch_key = l.key;
  by_key_[l.key] = n.idx;
  n.state = TaskState::kRunning;
  n.timed_out = false;
  std::int64_t now = now_ms();
  if (n.started_ms == 0) n.started_ms = now;
  n.deadline_ms = n.task->timeout_ms > 0 ? now + n.task->timeout_ms : 0;
  if (n.deadline_ms > 0) deadlines_.insert({n.deadline_ms, n.idx});
  n.attempt = store::AttemptRecord{};
  n.attempt.run_id = run_.id;
  n.attempt.task = n.name;
  n.attempt.number = n.attempts;
  n.attempt.state = "RUNNING";
  n.attempt.started_ms = now;
  n.attempt.log_path = l.stdout_path;
  note(store_.upsert_attempt(n.attempt));
  for (const auto& [name, v] : n.inputs) note(add_input_lineage(store_, run_.id, n.name, name, v));
  n.message.clear();
  persist(n);
  event(n, "RUNNING", "attempt " + std::to_string(n.attempts));
  ++running_;
  launches->push_back(std::move(l));
  return true;
}

void Engine::start_ready(std::vector<backends::TaskLaunch>* launches) {
  // FIFO; a task that does not fit now keeps its place, and a few behind it may pass it so one
  // large task does not idle the machine.
  std::deque<int> blocked;
  int skipped = 0;
  while (!ready_.empty() && skipped < 32) {
    int idx = ready_.front();
    ready_.pop_front();
    Node& n = nodes_[idx];
    if (n.state != TaskState::kPending) continue;
    if (cancelling_) {
      finish(n, TaskState::kCancelled, "run cancelled");
      continue;
    }
    if (!try_start(n, launches)) {
      blocked.push_back(idx);
      ++skipped;
    }
  }
  while (!blocked.empty()) {
    ready_.push_front(blocked.back());
    blocked.pop_back();
  }
}

// ---------------------------------------------------------------- outcomes

void Engine::handle_completion(const backends::Completion& c) {
  auto it = by_key_.find(c.key);
  if (it == by_key_.end()) return;
  Node& n = nodes_[it->second];
  by_key_.erase(it);
  --running_;
  if (n.deadline_ms > 0) deadlines_.erase({n.deadline_ms, n.idx});
  std::string attempt_state;
  std::string why = c.message;
  if (c.exit_code == 0 && !c.terminated) {
    Status st = collect_outputs(n, commands_[c.key]);
    // A store that failed is not the task's fault: the batch is rolled back at its commit and
    // the engine stops, so the attempt is still RUNNING in the store and a resume runs it again.
    if (!batch_error_.ok()) return;
    attempt_state = st.ok() ? "SUCCEEDED" : "FAILED";
    if (!st.ok()) why = st.message();
  } else if (n.timed_out) {
    attempt_state = "TIMEOUT";
    why = "timed out after " + format_duration_ms(n.task->timeout_ms);
  } else if (c.timed_out) {
    attempt_state = "TIMEOUT";
  } else if (c.terminated || cancelling_) {
    attempt_state = "CANCELLED";
    if (why.empty()) why = "cancelled";
  } else {
    attempt_state = "FAILED";
    // The step's own last word (an installer's error, a traceback's last line) beside its exit
    // code. Not for a signal: the process said nothing about it, and its last line would mislead.
    if (c.exit_code > 0) {
      const std::string said =
          last_line_of(task_dir(n) + "/attempt-" + std::to_string(n.attempts) + ".err");
      if (!said.empty()) why += (why.empty() ? "" : ": ") + said;
    }
  }
  commands_.erase(c.key);
  n.attempt.state = attempt_state;
  if (c.exit_code >= 0) n.attempt.exit_code = c.exit_code;
  n.attempt.finished_ms = c.finished_ms ? c.finished_ms : now_ms();
  n.attempt.message = why;
  note(store_.upsert_attempt(n.attempt));

  if (attempt_state == "SUCCEEDED") {
    if (n.task->cache) note(store_.put_cache({n.cache_key, run_.id, n.name, n.outputs}));
    return finish(n, TaskState::kSucceeded);
  }
  if (attempt_state == "CANCELLED" && cancelling_) return finish(n, TaskState::kCancelled, why);
  if (c.infrastructure && !cancelling_ && n.free_retries < 3) {
    // Node failure or preemption is not the task's fault: run it again without counting.
    ++n.free_retries;
    n.state = TaskState::kPending;
    n.ready_at_ms = now_ms();
    n.message = why;
    persist(n);
    event(n, "REQUEUE", why);
    delayed_.push_back(n.idx);
    return;
  }
  ++n.failures;
  if (!cancelling_ && n.failures <= n.task->retry.limit) {
    std::int64_t delay = n.task->retry.delay_before(n.attempts + 1);
    n.state = TaskState::kPending;
    n.ready_at_ms = now_ms() + delay;
    n.message = "attempt " + std::to_string(n.attempts) + " " + why + "; retrying in " +
                format_duration_ms(delay);
    persist(n);
    event(n, "RETRY", n.message);
    delayed_.push_back(n.idx);
    return;
  }
  finish(n, TaskState::kFailed, why);
}

void Engine::finish(Node& n, TaskState s, const std::string& message) {
  n.state = s;
  n.finished_ms = now_ms();
  if (!message.empty()) n.message = message;
  ++terminal_;
  failed_ += s == TaskState::kFailed || s == TaskState::kUpstreamFailed;
  if (n.deadline_ms > 0) deadlines_.erase({n.deadline_ms, n.idx});
  persist(n);
  event(n, to_string(s), n.message);
  if (n.is_group && !n.expanded) close_unexpanded(n);
  if (n.group >= 0) {
    Node& g = nodes_[n.group];
    ++g.items_done;
    iteration_ended(g, n.item_index);
  }
  notify_waiters(n);
  if (n.group >= 0) {
    Node& g = nodes_[n.group];
    if (!is_terminal(g.state) && g.items_done == static_cast<int>(g.items.size())) close_group(g);
  }
}

void Engine::cancel_everything() {
  cancelling_ = true;
  note(store_.add_event(run_.id, "", "CANCELLING", "", now_ms()));
  for (auto& n : nodes_)
    if (n.state == TaskState::kRunning && !n.is_group && !n.launch_key.empty())
      kills_.push_back(n.launch_key);
  std::vector<int> waiting(ready_.begin(), ready_.end());
  waiting.insert(waiting.end(), delayed_.begin(), delayed_.end());
  ready_.clear();
  delayed_.clear();
  for (int i : waiting)
    if (nodes_[i].state == TaskState::kPending)
      finish(nodes_[i], TaskState::kCancelled, "run cancelled");
  // What waits for nothing (or for admission to its loop) is cancelled now; the rest when what
  // it waits for is.
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].state == TaskState::kPending && nodes_[i].unmet == 0)
      evaluate(static_cast<int>(i));
}

std::string Engine::final_state() const {
  if (cancelling_) return "CANCELLED";
  return failed_ > 0 ? "FAILED" : "SUCCEEDED";
}

std::int64_t Engine::next_wake(std::int64_t now) const {
  std::int64_t wake = now + opts_.heartbeat_ms;
  wake = std::min(wake, last_cancel_poll_ + opts_.cancel_poll_ms);
  for (int i : delayed_) wake = std::min(wake, nodes_[i].ready_at_ms);
  if (!deadlines_.empty()) wake = std::min(wake, deadlines_.begin()->first);
  return wake;
}

// ---------------------------------------------------------------- the loop

Result<std::string> Engine::run() {
  Status st = prepare();
  if (!st.ok()) {
    // Why ignoring is safe: prepare's error is the one to report; a failed ROLLBACK keeps
    // nothing of the batch either (SQLite rolls back an open transaction when it closes).
    (void)store_.rollback();
    return st;
  }
  std::vector<backends::Completion> completions;
  for (;;) {
    std::int64_t now = now_ms();
    bool continue_now = false;
    if (Status b = store_.begin(); !b.ok()) return store_failure(b);
    for (const auto& c : synthetic_) handle_completion(c);
    synthetic_.clear();
    for (const auto& c : completions) handle_completion(c);
    completions.clear();
    for (int idx : pid_updates_) {
      Node& n = nodes_[idx];
      if (n.state == TaskState::kRunning) {
        note(store_.upsert_attempt(n.attempt));
        persist(n);
      }
    }
    pid_updates_.clear();
    // Retries whose delay has run out.
    for (size_t i = 0; i < delayed_.size();) {
      Node& n = nodes_[delayed_[i]];
      if (n.ready_at_ms <= now) {
        ready_.push_back(n.idx);
        delayed_[i] = delayed_.back();
        delayed_.pop_back();
      } else {
        ++i;
      }
    }
    // Timeouts: stop the attempt; its completion is then reported as TIMEOUT.
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      Node& n = nodes_[deadlines_.begin()->second];
      deadlines_.erase(deadlines_.begin());
      n.timed_out = true;
      kills_.push_back(n.launch_key);
      event(n, "TIMEOUT", "attempt " + std::to_string(n.attempts));
    }
    if (!cancelling_ && now - last_cancel_poll_ >= opts_.cancel_poll_ms) {
      last_cancel_poll_ = now;
      if (store_.cancel_requested(run_.id)) cancel_flag_.store(true);
    }
    if (cancel_flag_.load() && !cancelling_) cancel_everything();
    std::vector<backends::TaskLaunch> launches;
    start_ready(&launches);
    if (launches.empty() && running_ == 0 && !ready_.empty()) {
      // Nothing runs and the head of the queue still does not fit: it never will (the machine
      // changed since the run was checked, e.g. on resume). Fail it rather than wait forever.
      int idx = ready_.front();
      ready_.pop_front();
      Status fits = backend_.check_fits(nodes_[idx].resources);
      finish(nodes_[idx], TaskState::kFailed,
             fits.ok() ? "resources never became free" : "cannot run here: " + fits.message());
      continue_now = true;
    }
    if (now - last_heartbeat_ >= opts_.heartbeat_ms) {
      last_heartbeat_ = now;
      note(store_.heartbeat(run_.id, getpid(), now));
    }
    bool done = terminal_ == static_cast<int>(nodes_.size());
    if (done) {
      std::string final = final_state();
      if (Json st = backend_.stats(); !st.empty())
        note(store_.add_event(run_.id, "", "BACKEND_STATS", dump_json(st), now_ms()));
      note(store_.set_run_state(run_.id, final, now_ms()));
      note(store_.add_event(run_.id, "", final, "", now_ms()));
    }
    if (!batch_error_.ok()) {
      // Why ignoring is safe: the write's error is the one to report (see store_failure).
      (void)store_.rollback();
      return store_failure(batch_error_.status());
    }
    if (Status c = store_.commit(); !c.ok()) return store_failure(c);
    // Act only on what is now durable: kills first (they free resources), then launches.
    for (const auto& key : kills_) backend_.terminate(key, opts_.kill_grace_ms);
    kills_.clear();
    if (done) {
      if (opts_.on_tick) opts_.on_tick();
      return final_state();
    }
    auto handles = backend_.launch_many(launches);
    for (size_t i = 0; i < launches.size(); ++i) {
      const backends::TaskLaunch& l = launches[i];
      auto& h = handles[i];
      Node& n = nodes_[by_key_.at(l.key)];
      if (!h.ok()) {
        backends::Completion failed;
        failed.key = l.key;
        failed.message = h.status().message();
        failed.finished_ms = now_ms();
        synthetic_.push_back(std::move(failed));
        continue;
      }
      n.attempt.pid = h->pid;
      n.attempt.backend_id = h->backend_id;
      pid_updates_.push_back(n.idx);
    }
    if (opts_.on_tick) opts_.on_tick();
    if (!synthetic_.empty() || continue_now) continue;
    std::int64_t wait_ms = std::max<std::int64_t>(0, next_wake(now_ms()) - now_ms());
    if (!ready_.empty() && backend_.in_flight() == 0) wait_ms = 0;
    completions = backend_.wait(wait_ms);
    for (const auto& [key, why] : backend_.waiting_reasons()) {
      auto it = by_key_.find(key);
      if (it == by_key_.end()) continue;
      Node& n = nodes_[it->second];
      if (n.state != TaskState::kRunning || n.message == why) continue;
      n.message = why;
      pid_updates_.push_back(n.idx);  // persisted with the next batch, like a new pid
    }
  }
}

}  // namespace slipway::dag
