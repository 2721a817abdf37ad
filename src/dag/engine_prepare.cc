// Starting or resuming a run: the graph built from the pipeline (fan-outs wait to be expanded),
// what an earlier driver persisted restored, and the attempts it left RUNNING adopted by the
// backend or stopped and marked LOST. The rules are at the top of engine.cc.
#include <algorithm>

#include "core/clock.h"
#include "dag/engine.h"
#include "spec/validate.h"

namespace slipway::dag {

// A task persisted by an earlier driver keeps its outcome; anything unfinished starts afresh.
void Engine::restore(Node& n) {
  auto it = persisted_.find(n.name);
  if (it == persisted_.end()) return;
  const store::TaskRecord& r = it->second;
  n.attempts = r.attempts;
  for (const auto& a : store_.list_attempts(run_.id, n.name))
    if (a.state == "FAILED" || a.state == "TIMEOUT") ++n.failures;
  TaskState s = task_state_from_string(r.state);
  if (auto ad = adopted_.find(n.name); ad != adopted_.end() && s == TaskState::kRunning) {
    // The backend follows this attempt again; its completion arrives like any other.
    const store::AttemptRecord& a = ad->second;
    n.state = TaskState::kRunning;
    n.attempts = a.number;
    n.attempt = a;
    n.launch_key = n.name + "#" + std::to_string(a.number);
    n.started_ms = r.started_ms;
    n.cache_key = r.cache_key;
    by_key_[n.launch_key] = n.idx;
    CommandLine cl;
    if (n.comp)
      for (const auto& o : n.comp->outputs)
        cl.output_paths[o.name] = task_dir(n) + "/outputs/" + o.name;
    commands_[n.launch_key] = cl;
    if (n.task->timeout_ms > 0) {
      n.deadline_ms = a.started_ms + n.task->timeout_ms;
      deadlines_.insert({n.deadline_ms, n.idx});
    }
    ++running_;
    return;
  }
  bool rerun = s == TaskState::kCancelled || s == TaskState::kRunning || s == TaskState::kPending ||
               (opts_.rerun_failed && (s == TaskState::kFailed || s == TaskState::kUpstreamFailed));
  if (opts_.rerun_failed && s == TaskState::kFailed) n.failures = 0;
  if (rerun || (n.is_group && s != TaskState::kSucceeded && s != TaskState::kSkipped)) return;
  n.state = s;
  n.cached = r.cached;
  n.outputs = r.outputs;
  n.cache_key = r.cache_key;
  n.started_ms = r.started_ms;
  n.finished_ms = r.finished_ms;
  n.message = r.message;
}

Status Engine::prepare() {
  std::vector<std::vector<std::string>> commands;
  for (const auto& [_, c] : spec_.components) {
    commands.push_back(c.command);
    commands.back().insert(commands.back().end(), c.args.begin(), c.args.end());
  }
  backend_.expect_commands(commands);
  for (const auto& r : store_.list_tasks(run_.id)) persisted_[r.name] = r;
  if (Status b = store_.begin(); !b.ok()) return store_failure(b);
  // Attempts a dead driver left RUNNING: the backend adopts those it can still follow and stops
  // everything else of the run; the rest are LOST and run again.
  std::vector<store::AttemptRecord> left;
  for (auto& a : store_.list_attempts(run_.id))
    if (a.state == "RUNNING") left.push_back(a);
  if (!persisted_.empty()) {
    std::vector<backends::Adoptable> adoptable;
    for (const auto& a : left)
      adoptable.push_back({a.task + "#" + std::to_string(a.number), a.backend_id});
    auto adopted = backend_.reattach(run_.id, adoptable);
    if (!adopted.ok()) {
      // Why ignoring is safe: the reattach error is the one to report; a failed ROLLBACK leaves
      // nothing committed either.
      (void)store_.rollback();
      return adopted.status();
    }
    for (const auto& key : *adopted)
      for (const auto& a : left)
        if (a.task + "#" + std::to_string(a.number) == key) adopted_[a.task] = a;
  }
  for (auto& a : left) {
    if (adopted_.count(a.task)) {
      note(store_.add_event(run_.id, a.task, "REATTACHED",
                            "attempt " + std::to_string(a.number) + " (" + a.backend_id + ")",
                            now_ms()));
      continue;
    }
    a.state = "LOST";
    a.finished_ms = now_ms();
    a.message = "the driver stopped while this attempt ran; it was stopped and will run again";
    note(store_.upsert_attempt(a));
  }
  std::vector<const spec::Task*> main, fin;
  for (const auto& t : spec_.tasks) (t.is_finally ? fin : main).push_back(&t);
  for (const auto& t : spec_.tasks) {
    chains_[t.name] = spec::loop_chain(t);
    for (const auto& level : chains_[t.name]) ++loop_tasks_[level.id];
  }
  for (const auto& t : spec_.tasks) {
    auto& ups = upstream_[t.name];
    for (const auto& d : spec::task_dependencies(t))
      if (const spec::Task* up = spec_.task(d)) ups.push_back(up);  // (validated: all exist)
    if (t.is_finally) ups.insert(ups.end(), main.begin(), main.end());
    std::sort(ups.begin(), ups.end());
    ups.erase(std::unique(ups.begin(), ups.end()), ups.end());
    size_t depth = 0;
    if (t.when)
      for (const spec::Ref& r : t.when->refs()) {
        if (r.scope == spec::Ref::Scope::kItem) {
          const auto& chain = chains_[t.name];
          size_t level = chain.size();
          for (size_t i = 0; i < chain.size(); ++i)
            if (chain[i].id == r.loop) level = i + 1;
          depth = std::max(depth, level);
        }
        std::vector<spec::Ref> reads = r.alternatives;
        if (r.scope == spec::Ref::Scope::kTaskOutput || r.scope == spec::Ref::Scope::kTaskStatus)
          reads.push_back(r);
        for (const auto& x : reads)
          if (const spec::Task* up = spec_.task(x.task))
            depth = std::max(depth, common_depth(t, *up));
      }
    when_depth_[t.name] = depth;
  }
  for (const spec::Task* t : main) add_node(t, -1, {}, {}, t->name);
  for (const spec::Task* t : fin) add_node(t, -1, {}, {}, t->name);
  for (auto& n : nodes_) {
    restore(n);
    if (n.state == TaskState::kRunning) continue;  // adopted
    if (!persisted_.count(n.name) || !is_terminal(n.state)) {
      n.state = TaskState::kPending;
      persist(n);
    }
  }
  note(store_.set_run_state(run_.id, "RUNNING", now_ms()));
  note(store_.set_run_started(run_.id, now_ms()));
  note(store_.add_event(run_.id, "", "RUNNING", persisted_.empty() ? "started" : "resumed",
                        now_ms()));
  // Count what is already done, then let everything else wait for what it reads.
  size_t initial = nodes_.size();
  for (size_t i = 0; i < initial; ++i) {
    Node& n = nodes_[i];
    if (!is_terminal(n.state)) continue;
    ++terminal_;
    failed_ += n.state == TaskState::kFailed || n.state == TaskState::kUpstreamFailed;
    if (n.is_group) close_unexpanded(n);
  }
  for (size_t i = 0; i < initial; ++i)
    if (nodes_[i].state == TaskState::kPending) wait_for_upstream(static_cast<int>(i));
  if (!batch_error_.ok())
    return store_failure(batch_error_.status());  // run() rolls the batch back
  if (Status c = store_.commit(); !c.ok()) return store_failure(c);
  return Status::Ok();
}

}  // namespace slipway::dag
