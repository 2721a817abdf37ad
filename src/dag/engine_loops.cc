// Loops in the engine: the tree of instances of a task in nested loops, what each instance waits
// for, and which iterations may run.
//
// A task in loops L0 (outermost) .. Ln-1 has a top node; a group node per iteration of L0, of
// L0 x L1, ...; and a leaf per iteration of all its loops, which is what runs. A node at depth m
// (m loop indexes in its path) waits for the instances, at its own path, of the upstream tasks
// that share exactly m loops with it: its ancestors waited for the rest. So inside a loop, an
// iteration's task starts when the same iteration's upstream task has ended, not when all of
// them have (KFP runs each iteration as its own DAG), and a task after the loop waits for all.
//
// Iterations, not tasks, are what a loop's parallelism counts: an iteration is admitted in item
// order when fewer than `parallelism` admitted ones still have tasks to end, and its nodes wait
// until then (KFP's parallelismLimit).
//
// Partial failure: a failed leaf fails only the nodes that wait for it (its iteration's chain);
// the other iterations go on. A group ends when all its children have, FAILED if any child
// failed, and readers outside the loop then do not run (unless they ignore upstream failures).
// A group's outputs list its children's in item order, leaving out the children that were
// skipped.
#include "core/clock.h"
#include "core/strings.h"
#include "dag/engine.h"
#include "spec/validate.h"

namespace slipway::dag {

namespace {

std::string loop_key(const std::string& id, const std::vector<int>& path) {
  std::string s = id + "@";
  for (int i : path) s += "[" + std::to_string(i) + "]";
  return s;
}

}  // namespace

std::string Engine::instance_name(const std::string& task, const std::vector<int>& path) {
  std::string s = task;
  for (int i : path) s += "[" + std::to_string(i) + "]";
  return s;
}

size_t Engine::common_depth(const spec::Task& a, const spec::Task& b) const {
  const auto& ca = chains_.at(a.name);
  const auto& cb = chains_.at(b.name);
  size_t k = 0;
  while (k < ca.size() && k < cb.size() && ca[k].id == cb[k].id) ++k;
  return k;
}

int Engine::add_node(const spec::Task* t, int group, std::vector<int> path,
                     std::map<std::string, Json> loop_items, const std::string& name) {
  Node n;
  n.idx = static_cast<int>(nodes_.size());
  n.name = name;
  n.task = t;
  n.comp = spec_.component_of(*t);
  n.group = group;
  n.top = group < 0 ? n.idx : nodes_[group].top;
  const auto& chain = chains_.at(t->name);
  if (!path.empty()) n.item_index = path.back();
  n.is_group = path.size() < chain.size();
  n.path = std::move(path);
  n.loop_items = std::move(loop_items);
  n.resources = t->resources;
  nodes_.push_back(std::move(n));
  by_name_[name] = nodes_.back().idx;
  return nodes_.back().idx;
}

TaskState Engine::instance_state(const spec::Task& task, const std::vector<int>& path) const {
  auto top = by_name_.find(task.name);
  if (top == by_name_.end()) return TaskState::kFailed;
  const Node* cur = &nodes_[top->second];
  for (int i : path) {
    if (!cur->expanded) {
      if (!is_terminal(cur->state)) return TaskState::kPending;
      // Ended without creating its children: restored from an earlier driver (which recorded
      // each instance), or skipped or failed before its loop started (so is each instance).
      auto rec = persisted_.find(instance_name(task.name, path));
      if (rec != persisted_.end()) return task_state_from_string(rec->second.state);
      return cur->state;
    }
    if (i < 0 || i >= static_cast<int>(cur->items.size())) return TaskState::kFailed;
    cur = &nodes_[cur->items[static_cast<size_t>(i)]];
  }
  return cur->state;
}

Result<Json> Engine::instance_outputs(const spec::Task& task, const std::vector<int>& path) const {
  const Node* cur = &nodes_[by_name_.at(task.name)];
  size_t d = 0;
  for (; d < path.size() && cur->expanded; ++d)
    cur = &nodes_[cur->items[static_cast<size_t>(path[d])]];
  if (d == path.size()) return cur->outputs;
  if (auto rec = persisted_.find(instance_name(task.name, path)); rec != persisted_.end())
    return rec->second.outputs;
  // A restored group holds its iterations' outputs as (nested) lists: take this one's part.
  Json out = Json::object();
  for (const auto& [name, v] : cur->outputs.items()) {
    const Json* part = &v;
    for (size_t j = d; j < path.size() && part; ++j)
      part = part->is_array() && path[j] < static_cast<int>(part->size())
                 ? &(*part)[static_cast<size_t>(path[j])]
                 : nullptr;
    if (part) out[name] = *part;
  }
  return out;
}

void Engine::wait_for_upstream(int idx) {
  Node& n = nodes_[idx];
  n.awaited.clear();
  n.unmet = 0;
  for (const spec::Task* up : upstream_.at(n.task->name)) {
    if (common_depth(*n.task, *up) != n.path.size()) continue;
    n.awaited.push_back(up);
    if (is_terminal(instance_state(*up, n.path))) continue;
    waiters_[instance_name(up->name, n.path)].push_back(idx);
    ++n.unmet;
  }
  if (n.unmet == 0) evaluate(idx);
}

void Engine::notify_waiters(const Node& finished) {
  // Waiters of this instance, and of instances inside it: a group ends after its children, or
  // without creating them, and either way everything inside it has ended too.
  std::vector<int> woken;
  auto take = [&](std::map<std::string, std::vector<int>>::iterator it) {
    woken.insert(woken.end(), it->second.begin(), it->second.end());
    return waiters_.erase(it);
  };
  if (auto it = waiters_.find(finished.name); it != waiters_.end()) take(it);
  std::string inner = finished.name + "[";
  for (auto it = waiters_.lower_bound(inner);
       it != waiters_.end() && starts_with(it->first, inner);)
    it = take(it);
  for (int w : woken) {
    Node& n = nodes_[w];
    if (n.state != TaskState::kPending || n.unmet == 0) continue;
    int unmet = 0;
    for (const spec::Task* up : n.awaited) unmet += !is_terminal(instance_state(*up, n.path));
    n.unmet = unmet;
    if (unmet == 0) evaluate(w);
  }
}

Engine::LoopRun& Engine::loop_run(const Node& group) {
  const auto& chain = chains_.at(group.task->name);
  const spec::LoopLevel& level = chain[group.path.size()];
  auto [it, fresh] = loops_.try_emplace(loop_key(level.id, group.path));
  LoopRun& lr = it->second;
  if (fresh) {
    lr.tasks = loop_tasks_.at(level.id);
    lr.limit = level.parallelism;
    // A loop of one task and one level is one job array, whose own limit a backend such as
    // Slurm keeps: hand it every item.
    if (backend_.enforces_parallelism() && chain.size() == 1 && lr.tasks == 1) {
      lr.backend_limit = lr.limit;
      lr.limit = 0;
    }
  }
  return lr;
}

void Engine::admit(LoopRun& lr) {
  if (lr.admitting) return;  // the call below us goes on admitting
  lr.admitting = true;
  int n = static_cast<int>(lr.admitted.size());
  while (lr.next < n && (lr.limit <= 0 || lr.active < lr.limit)) {
    size_t i = static_cast<size_t>(lr.next++);
    if (lr.admitted[i]) continue;
    lr.admitted[i] = 1;
    if (lr.remaining[i] > 0) ++lr.active;
    std::vector<int> parked = std::move(lr.parked[i]);
    lr.parked[i].clear();
    for (int p : parked) evaluate(p);
  }
  lr.admitting = false;
}

bool Engine::admitted(Node& n) {
  if (n.group < 0) return true;
  LoopRun& lr = loop_run(nodes_[n.group]);
  auto i = static_cast<size_t>(n.item_index);
  if (lr.admitted[i]) return true;
  lr.parked[i].push_back(n.idx);
  return false;
}

void Engine::iteration_ended(const Node& parent, int item_index) {
  LoopRun& lr = loop_run(parent);
  auto i = static_cast<size_t>(item_index);
  if (--lr.remaining[i] == 0 && lr.admitted[i]) {
    --lr.active;
    admit(lr);
  }
}

void Engine::close_unexpanded(const Node& group) {
  LoopRun& lr = loop_run(group);
  ++lr.closed;
  if (!lr.resolved) return;
  for (size_t i = 0; i < lr.remaining.size(); ++i)
    if (--lr.remaining[i] == 0 && lr.admitted[i]) --lr.active;
  admit(lr);
}

void Engine::expand(Node& group) {
  int gi = group.idx;
  LoopRun& lr = loop_run(group);
  const spec::LoopLevel& level = chains_.at(group.task->name)[group.path.size()];
  if (!lr.resolved) {
    // Tasks of one loop share its items: the first of them to get here resolves them.
    ResolveContext ctx = context_for(group);
    auto items = resolve_loop_items(ctx, *group.task, level.items);
    if (!items.ok()) return finish(group, TaskState::kFailed, items.status().message());
    lr.resolved = true;
    lr.items = *items;
    size_t n = lr.items.size();
    lr.remaining.assign(n, lr.tasks - lr.closed);
    lr.admitted.assign(n, 0);
    lr.parked.resize(n);
  }
  group.state = TaskState::kRunning;
  group.started_ms = now_ms();
  group.expanded = true;
  persist(group);
  event(group, "RUNNING", std::to_string(lr.items.size()) + " items");
  for (size_t i = 0; i < lr.items.size(); ++i) {
    Node& g = nodes_[gi];
    std::vector<int> path = g.path;
    path.push_back(static_cast<int>(i));
    std::map<std::string, Json> items = g.loop_items;
    items[level.id] = lr.items[i];
    int idx = add_node(g.task, gi, std::move(path), std::move(items),
                       g.name + "[" + std::to_string(i) + "]");
    nodes_[gi].items.push_back(idx);
    restore(nodes_[idx]);
  }
  std::vector<int> pending;
  for (int idx : std::vector<int>(nodes_[gi].items)) {
    Node& item = nodes_[idx];
    if (is_terminal(item.state)) {
      ++terminal_;
      failed_ += item.state == TaskState::kFailed || item.state == TaskState::kUpstreamFailed;
      ++nodes_[gi].items_done;
      if (item.is_group) close_unexpanded(item);
      iteration_ended(nodes_[gi], item.item_index);
      notify_waiters(item);
    } else if (item.state == TaskState::kRunning) {  // adopted from a dead driver
      auto i = static_cast<size_t>(item.item_index);
      if (!lr.admitted[i]) {
        lr.admitted[i] = 1;
        if (lr.remaining[i] > 0) ++lr.active;
      }
    } else {
      persist(item);
      pending.push_back(idx);
    }
  }
  admit(lr);
  for (int idx : pending) wait_for_upstream(idx);
  Node& g = nodes_[gi];
  if (!is_terminal(g.state) && g.items_done == static_cast<int>(g.items.size())) close_group(g);
}

void Engine::close_group(Node& g) {
  int failed = 0;
  bool cancelled = false;
  Json outs = Json::object();
  if (g.comp)
    for (const auto& o : g.comp->outputs) outs[o.name] = Json::array();
  for (int i : g.items) {
    const Node& it = nodes_[i];
    failed += it.state == TaskState::kFailed || it.state == TaskState::kUpstreamFailed;
    cancelled = cancelled || it.state == TaskState::kCancelled;
    // An iteration that skipped the task produced nothing to collect (KFP's dsl.Collected
    // gathers the outputs that exist).
    if (g.comp && it.state != TaskState::kSkipped)
      for (const auto& o : g.comp->outputs)
        outs[o.name].push_back(it.outputs.value(o.name, Json()));
  }
  g.outputs = outs;
  finish(g,
         failed      ? TaskState::kFailed
         : cancelled ? TaskState::kCancelled
                     : TaskState::kSucceeded,
         failed ? std::to_string(failed) + " of " + std::to_string(g.items.size()) +
                      " items did not succeed"
                : "");
}

}  // namespace slipway::dag
