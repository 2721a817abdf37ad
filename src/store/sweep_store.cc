// The store's sweeps and trials tables.
#include "core/json.h"
#include "core/status.h"
#include "store/store.h"
#include "store/stored_json.h"

namespace slipway::store {

namespace {

const char* kSweepCols =
    "id, name, file, format, source, backend, state, created_ms, finished_ms, controller_pid, "
    "heartbeat_ms, cancel_requested, message, namespace, max_trials";

SweepRecord read_sweep(Stmt& s) {
  SweepRecord r;
  r.id = s.text(0);
  r.name = s.text(1);
  r.file = s.text(2);
  r.format = s.text(3);
  r.source = s.text(4);
  r.backend = s.text(5);
  r.state = s.text(6);
  r.created_ms = s.integer(7);
  r.finished_ms = s.integer(8);
  r.controller_pid = s.integer(9);
  r.heartbeat_ms = s.integer(10);
  r.cancel_requested = s.integer(11) != 0;
  r.message = s.text(12);
  r.ns = s.text(13);
  r.max_trials = static_cast<int>(s.integer(14));
  return r;
}

}  // namespace

Status Store::insert_sweep(const SweepRecord& r) {
  return db_
      ->prepare(std::string("INSERT INTO sweeps(") + kSweepCols +
                ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
      .bind(1, r.id)
      .bind(2, r.name)
      .bind(3, r.file)
      .bind(4, r.format)
      .bind(5, r.source)
      .bind(6, r.backend)
      .bind(7, r.state)
      .bind(8, r.created_ms)
      .bind(9, r.finished_ms)
      .bind(10, r.controller_pid)
      .bind(11, r.heartbeat_ms)
      .bind(12, r.cancel_requested ? 1 : 0)
      .bind(13, r.message)
      .bind(14, r.ns)
      .bind(15, r.max_trials)
      .done();
}

Result<SweepRecord> Store::get_sweep(const std::string& id) {
  Stmt& s =
      db_->prepare(std::string("SELECT ") + kSweepCols +
                   " FROM sweeps WHERE id = ? OR id LIKE ? || '%' ORDER BY id = ? DESC LIMIT 2");
  s.bind(1, id).bind(2, id).bind(3, id);
  std::vector<SweepRecord> found;
  while (s.step()) found.push_back(read_sweep(s));
  s.reset();
  if (found.empty()) return NotFound("no sweep " + id + " (slipway sweep ls lists them)");
  if (found.size() > 1 && found[0].id != id)
    return InvalidInput("sweep id " + id + " is ambiguous; type more of it");
  return found[0];
}

std::vector<SweepRecord> Store::list_sweeps(int limit) {
  Stmt& s = db_->prepare(std::string("SELECT ") + kSweepCols +
                         " FROM sweeps ORDER BY created_ms DESC LIMIT ?");
  s.bind(1, limit);
  std::vector<SweepRecord> out;
  while (s.step()) out.push_back(read_sweep(s));
  s.reset();
  return out;
}

Status Store::update_sweep_state(const std::string& id, const std::string& state,
                                 const std::string& message, std::int64_t finished_ms) {
  return db_->prepare("UPDATE sweeps SET state = ?, message = ?, finished_ms = ? WHERE id = ?")
      .bind(1, state)
      .bind(2, message)
      .bind(3, finished_ms)
      .bind(4, id)
      .done();
}

Status Store::continue_sweep(const std::string& id, int max_trials) {
  return db_
      ->prepare(
          "UPDATE sweeps SET max_trials = ?, state = 'RUNNING', message = '', finished_ms = 0 "
          "WHERE id = ?")
      .bind(1, max_trials)
      .bind(2, id)
      .done();
}

Status Store::sweep_heartbeat(const std::string& id, std::int64_t pid, std::int64_t now_ms) {
  return db_->prepare("UPDATE sweeps SET controller_pid = ?, heartbeat_ms = ? WHERE id = ?")
      .bind(1, pid)
      .bind(2, now_ms)
      .bind(3, id)
      .done();
}

Status Store::request_sweep_cancel(const std::string& id) {
  return db_->prepare("UPDATE sweeps SET cancel_requested = 1 WHERE id = ?").bind(1, id).done();
}

Status Store::upsert_trial(const TrialRecord& t) {
  Stmt& s = db_->prepare(
      "INSERT INTO trials(sweep_id, number, params, point, run_id, state, objective, metrics, "
      "created_ms, finished_ms, message, config, rung, budget, parent)"
      " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"
      " ON CONFLICT(sweep_id, number) DO UPDATE SET run_id=?5, state=?6, objective=?7, metrics=?8, "
      "finished_ms=?10, message=?11");
  s.bind(1, t.sweep_id)
      .bind(2, t.number)
      .bind(3, dump_json(t.params))
      .bind(4, dump_json(Json(t.point)))
      .bind(5, t.run_id)
      .bind(6, t.state);
  if (t.objective)
    s.bind(7, *t.objective);
  else
    s.bind_null(7);
  return s.bind(8, dump_json(t.metrics))
      .bind(9, t.created_ms)
      .bind(10, t.finished_ms)
      .bind(11, t.message)
      .bind(12, t.config)
      .bind(13, t.rung)
      .bind(14, t.budget)
      .bind(15, t.parent)
      .done();
}

std::vector<TrialRecord> Store::list_trials(const std::string& sweep_id) {
  Stmt& s = db_->prepare(
      "SELECT sweep_id, number, params, point, run_id, state, objective, metrics, created_ms, "
      "finished_ms, message, config, rung, budget, parent FROM trials"
      " WHERE sweep_id = ? ORDER BY number");
  s.bind(1, sweep_id);
  std::vector<TrialRecord> out;
  while (s.step()) {
    TrialRecord t;
    t.sweep_id = s.text(0);
    t.number = static_cast<int>(s.integer(1));
    const std::string row = "sweep_id=" + t.sweep_id + " number=" + std::to_string(t.number);
    t.params = stored_json(s.text(2), "trials", row, "params");
    Json point = stored_json(s.text(3), "trials", row, "point");
    if (point.is_array())
      for (const auto& v : point) t.point.push_back(v.get<double>());
    t.run_id = s.text(4);
    t.state = s.text(5);
    if (!s.is_null(6)) t.objective = s.real(6);
    t.metrics = stored_json(s.text(7), "trials", row, "metrics");
    t.created_ms = s.integer(8);
    t.finished_ms = s.integer(9);
    t.message = s.text(10);
    t.config = static_cast<int>(s.integer(11));
    t.rung = static_cast<int>(s.integer(12));
    t.budget = s.real(13);
    t.parent = static_cast<int>(s.integer(14));
    out.push_back(std::move(t));
  }
  s.reset();
  return out;
}

}  // namespace slipway::store
