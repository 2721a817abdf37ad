// What the engine records: the store rows of its transitions, kept in one batch per loop turn
// (a write that fails is kept as the batch's error, see Engine::note), and the snapshot that
// progress displays read.
#include "core/clock.h"
#include "dag/engine.h"

namespace slipway::dag {

void Engine::persist(const Node& n) {
  store::TaskRecord r;
  r.run_id = run_.id;
  r.name = n.name;
  r.templ = n.task->name;
  r.item_index = n.item_index;
  r.state = to_string(n.state);
  r.cached = n.cached;
  r.attempts = n.attempts;
  r.cache_key = n.cache_key;
  r.started_ms = n.started_ms;
  r.finished_ms = is_terminal(n.state) ? n.finished_ms : 0;
  r.outputs = n.outputs;
  r.message = n.message;
  r.backend_id = n.attempt.backend_id;
  r.seq = n.top;
  note(store_.upsert_task(r));
}

void Engine::event(const Node& n, const std::string& kind, const std::string& detail) {
  note(store_.add_event(run_.id, n.name, kind, detail, now_ms()));
}

void Engine::note(Status s) { batch_error_.note(std::move(s)); }

Status Engine::store_failure(const Status& s) const {
  return Failed("the store failed while recording run " + run_.id + ": " + s.message() +
                "; nothing of that step was acted on, and the run is left RUNNING: once the store "
                "is healthy, `slipway runs resume " +
                run_.id + "` finishes it");
}

std::vector<TaskView> Engine::snapshot() const {
  std::vector<TaskView> out;
  for (const auto& n : nodes_) {
    if (n.group >= 0) continue;
    TaskView v;
    v.name = n.name;
    v.state = n.state;
    v.attempts = n.attempts;
    v.cached = n.cached;
    v.is_group = n.is_group;
    v.items_total = static_cast<int>(n.items.size());
    v.items_done = n.items_done;
    v.started_ms = n.started_ms;
    v.finished_ms = n.finished_ms;
    v.message = n.message;
    if (n.is_group) {
      // Attempts and caching of the leaves under it, through any nested loops.
      int att = 0, leaves = 0, cached = 0;
      std::vector<int> todo(n.items.begin(), n.items.end());
      while (!todo.empty()) {
        const Node& c = nodes_[todo.back()];
        todo.pop_back();
        if (c.is_group) {
          todo.insert(todo.end(), c.items.begin(), c.items.end());
          continue;
        }
        att += c.attempts;
        ++leaves;
        cached += c.cached;
      }
      v.attempts = att;
      v.cached = n.cached || (leaves > 0 && cached == leaves && is_terminal(n.state));
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace slipway::dag
