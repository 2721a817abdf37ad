// The store's rows: one SQLite database in WAL mode under SLIPWAY_HOME, shared by every slipway
// process of the home (drivers, the server, the CLI). Statements are prepared once per connection
// and cached by their text (Db::prepare), so a hot write costs a bind and a step.
#include "store/store.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/json.h"
#include "core/status.h"
#include "store/run_rows.h"
#include "store/schema.h"
#include "store/stored_json.h"

namespace slipway::store {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Turning a new store's journal into WAL takes an exclusive lock without calling SQLite's busy
// handler, so a second slipway opening the store while the first creates it (`runs ls` beside the
// first `run`) is refused at once with "database is locked". It waits here instead, as long as
// any other lock would make it wait.
static Status switch_to_wal(Db& d) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    Status s = d.exec("PRAGMA journal_mode=WAL");
    if (s.ok() || (sqlite3_errcode(d.raw()) & 0xff) != SQLITE_BUSY ||
        std::chrono::steady_clock::now() > give_up)
      return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<std::unique_ptr<Store>> Store::open(const fs::path& home) {
  std::error_code ec;
  fs::create_directories(home, ec);
  if (ec)
    return Failed("cannot create the slipway home " + home.string() + ": " + ec.message() +
                  " (set SLIPWAY_HOME to a writable directory)");
  auto db = Db::open((home / "slipway.db").string());
  if (!db.ok()) return db.status();
  Db& d = **db;
  // WAL: readers (the server, `runs show`) never block the driver's writes, nor it theirs.
  SLIPWAY_RETURN_IF_ERROR(switch_to_wal(d));
  // NORMAL in WAL mode survives a killed process (kill -9 loses nothing committed); only a power
  // failure can lose the last transactions. SLIPWAY_SYNC=full fsyncs every commit for sites that
  // need that too, at a cost in tasks per second (docs/reliability.md).
  const char* sync = std::getenv("SLIPWAY_SYNC");
  SLIPWAY_RETURN_IF_ERROR(d.exec(std::string("PRAGMA synchronous=") +
                                 (sync && std::string(sync) == "full" ? "FULL" : "NORMAL")));
  SLIPWAY_RETURN_IF_ERROR(d.exec("PRAGMA foreign_keys=ON"));
  SLIPWAY_RETURN_IF_ERROR(migrate(d));
  return std::unique_ptr<Store>(new Store(home, std::move(*db)));
}

// A failed BEGIN leaves depth_ as it was, so the caller's batch is simply not open: the next
// begin() tries again instead of believing it is nested inside a transaction that never started.
Status Store::begin() {
  if (depth_ > 0) {
    ++depth_;
    return Status::Ok();
  }
  Status s = db_->exec("BEGIN IMMEDIATE");
  if (s.ok()) depth_ = 1;
  return s;
}

// A failed COMMIT (I/O error, a full disk) is rolled back, so nothing of the batch is half-kept and
// the connection is ready for the next one; the caller gets the error and must not act on the
// batch.
Status Store::commit() {
  if (depth_ == 0) return Status::Ok();
  if (--depth_ > 0) return Status::Ok();
  Status s = db_->exec("COMMIT");
  if (!s.ok() && !sqlite3_get_autocommit(db_->raw())) {
    // Why ignoring is safe: the COMMIT's own error is what the caller needs; a ROLLBACK that
    // also fails leaves SQLite to roll the journal back when the connection closes.
    (void)db_->exec("ROLLBACK");
  }
  return s;
}

Status Store::rollback() {
  if (depth_ == 0) return Status::Ok();
  depth_ = 0;
  return db_->exec("ROLLBACK");
}

// ---- runs ----

const char* const kRunCols =
    "id, experiment, pipeline, pipeline_file, format, source, params, options, state, backend, "
    "root, created_ms, started_ms, finished_ms, driver_pid, driver_host, heartbeat_ms, "
    "cancel_requested, message, namespace, schedule_id, display_name, description, archived, "
    "pipeline_version_id";

RunRecord read_run(Stmt& s) {
  RunRecord r;
  r.id = s.text(0);
  r.experiment = s.text(1);
  r.pipeline = s.text(2);
  r.pipeline_file = s.text(3);
  r.format = s.text(4);
  r.source = s.text(5);
  r.params = stored_json(s.text(6), "runs", "id=" + r.id, "params");
  r.options = stored_json(s.text(7), "runs", "id=" + r.id, "options");
  r.state = s.text(8);
  r.backend = s.text(9);
  r.root = s.text(10);
  r.created_ms = s.integer(11);
  r.started_ms = s.integer(12);
  r.finished_ms = s.integer(13);
  r.driver_pid = s.integer(14);
  r.driver_host = s.text(15);
  r.heartbeat_ms = s.integer(16);
  r.cancel_requested = s.integer(17) != 0;
  r.message = s.text(18);
  r.ns = s.text(19);
  r.schedule_id = s.text(20);
  r.display_name = s.text(21);
  r.description = s.text(22);
  r.archived = s.integer(23) != 0;
  r.pipeline_version_id = s.text(24);
  return r;
}

Status Store::insert_run(const RunRecord& r) {
  SLIPWAY_RETURN_IF_ERROR(ensure_experiment(r.experiment, r.ns));
  return db_
      ->prepare(std::string("INSERT INTO runs(") + kRunCols +
                ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
      .bind(1, r.id)
      .bind(2, r.experiment)
      .bind(3, r.pipeline)
      .bind(4, r.pipeline_file)
      .bind(5, r.format)
      .bind(6, r.source)
      .bind(7, dump_json(r.params))
      .bind(8, dump_json(r.options))
      .bind(9, r.state)
      .bind(10, r.backend)
      .bind(11, r.root)
      .bind(12, r.created_ms)
      .bind(13, r.started_ms)
      .bind(14, r.finished_ms)
      .bind(15, r.driver_pid)
      .bind(16, r.driver_host)
      .bind(17, r.heartbeat_ms)
      .bind(18, r.cancel_requested ? 1 : 0)
      .bind(19, r.message)
      .bind(20, r.ns)
      .bind(21, r.schedule_id)
      .bind(22, r.display_name)
      .bind(23, r.description)
      .bind(24, r.archived ? 1 : 0)
      .bind(25, r.pipeline_version_id)
      .done();
}

Result<RunRecord> Store::get_run(const std::string& id) {
  return corruption_as_error([&]() -> Result<RunRecord> {
    Stmt& s = db_->prepare(std::string("SELECT ") + kRunCols + " FROM runs WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) {
      s.reset();
      // Accept a unique prefix, as git does, so users can type the short form.
      Stmt& p = db_->prepare(std::string("SELECT ") + kRunCols +
                             " FROM runs WHERE id LIKE ? || '%' ESCAPE '\\' LIMIT 2");
      std::string prefix;  // LIKE treats % and _ as wildcards; a typed id means them literally
      for (char c : id)
        prefix += (c == '%' || c == '_' || c == '\\') ? std::string("\\") + c : std::string(1, c);
      p.bind(1, prefix);
      std::vector<RunRecord> found;
      while (p.step()) found.push_back(read_run(p));
      p.reset();
      if (found.size() == 1) return found[0];
      if (found.size() > 1)
        return InvalidInput("run id '" + id + "' is ambiguous; give more characters");
      return NotFound("no run '" + id + "' in " + home_.string() + " (see: slipway runs ls)");
    }
    RunRecord r = read_run(s);
    s.reset();
    return r;
  });
}

std::vector<RunRecord> Store::list_runs(const RunFilter& f) {
  // Only the filters given become conditions, so SQLite can walk the matching index in order
  // ("x = ?1 OR ?1 = ''" would hide the index from the planner and scan every run).
  std::string cols = kRunCols;
  if (!f.with_source) cols.replace(cols.find("source"), 6, "'' AS source");
  std::string sql = "SELECT " + cols + " FROM runs WHERE 1";
  if (!f.ns.empty()) sql += " AND namespace = ?1";
  if (!f.state.empty()) sql += " AND state = ?2";
  if (!f.experiment.empty()) sql += " AND experiment = ?3";
  if (!f.pipeline.empty()) sql += " AND pipeline = ?4";
  if (!f.schedule_id.empty()) sql += " AND schedule_id = ?5";
  if (f.before_ms > 0)
    sql += f.before_id.empty() ? " AND created_ms < ?6" : " AND (created_ms, id) < (?6, ?7)";
  sql += " ORDER BY created_ms DESC, id DESC LIMIT ?8";
  Stmt& s = db_->prepare(sql);
  if (!f.ns.empty()) s.bind(1, f.ns);
  if (!f.state.empty()) s.bind(2, f.state);
  if (!f.experiment.empty()) s.bind(3, f.experiment);
  if (!f.pipeline.empty()) s.bind(4, f.pipeline);
  if (!f.schedule_id.empty()) s.bind(5, f.schedule_id);
  if (f.before_ms > 0) s.bind(6, f.before_ms);
  if (f.before_ms > 0 && !f.before_id.empty()) s.bind(7, f.before_id);
  s.bind(8, f.limit);
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  s.reset();
  return out;
}

Status Store::set_run_state(const std::string& id, const std::string& state, std::int64_t at_ms,
                            const std::string& message) {
  bool terminal = state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED";
  return db_->prepare("UPDATE runs SET state = ?2, finished_ms = ?3, message = ?4 WHERE id = ?1")
      .bind(1, id)
      .bind(2, state)
      .bind(3, terminal ? at_ms : 0)
      .bind(4, message)
      .done();
}

Status Store::set_run_started(const std::string& id, std::int64_t at_ms) {
  return db_->prepare("UPDATE runs SET started_ms = ?2 WHERE id = ?1 AND started_ms = 0")
      .bind(1, id)
      .bind(2, at_ms)
      .done();
}

// EPERM means the process exists but belongs to someone else: still alive.
static bool pid_alive(std::int64_t pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

Status Store::acquire_lease(const std::string& id, std::int64_t pid, const std::string& host,
                            std::int64_t now, std::int64_t stale_ms) {
  SLIPWAY_RETURN_IF_ERROR(begin());
  auto run = get_run(id);
  if (!run.ok()) {
    (void)rollback();  // safe: nothing was written; the read's error is the one to report
    return run.status();
  }
  // One driver per run. A lease is taken over only when its holder is gone: on this host, when
  // its pid is dead or its heartbeat stale (a pid can be reused); on another host, where the pid
  // means nothing here, only when the heartbeat is stale.
  bool held = run->driver_pid != 0 && run->driver_pid != pid;
  if (held) {
    bool fresh = now - run->heartbeat_ms < stale_ms;
    bool same_host = run->driver_host == host;
    bool alive = same_host ? pid_alive(run->driver_pid) && fresh : fresh;
    if (alive) {
      (void)rollback();  // safe: nothing was written
      return Conflict("run " + id + " is being driven by pid " + std::to_string(run->driver_pid) +
                      " on " + run->driver_host + "; cancel it or wait for it to finish");
    }
  }
  Status st =
      db_->prepare(
             "UPDATE runs SET driver_pid = ?2, driver_host = ?3, heartbeat_ms = ?4 WHERE id = ?1")
          .bind(1, run->id)
          .bind(2, pid)
          .bind(3, host)
          .bind(4, now)
          .done();
  if (!st.ok()) {
    (void)rollback();  // safe: the UPDATE's error is the one to report
    return st;
  }
  return commit();
}

// Conditional on the pid: a driver whose lease was taken over stops refreshing it silently
// instead of stealing it back.
Status Store::heartbeat(const std::string& id, std::int64_t pid, std::int64_t now) {
  return db_->prepare("UPDATE runs SET heartbeat_ms = ?3 WHERE id = ?1 AND driver_pid = ?2")
      .bind(1, id)
      .bind(2, pid)
      .bind(3, now)
      .done();
}

Status Store::release_lease(const std::string& id, std::int64_t pid) {
  return db_
      ->prepare(
          "UPDATE runs SET driver_pid = 0, driver_host = '' WHERE id = ?1 AND driver_pid = ?2")
      .bind(1, id)
      .bind(2, pid)
      .done();
}

// Cancelling is a flag the driver polls (EngineOptions::cancel_poll_ms), not a signal: it works
// from any host that can reach the store, and a driver that restarts still sees it.
Status Store::request_cancel(const std::string& id) {
  return db_->prepare("UPDATE runs SET cancel_requested = 1 WHERE id = ?1").bind(1, id).done();
}

bool Store::cancel_requested(const std::string& id) {
  Stmt& s = db_->prepare("SELECT cancel_requested FROM runs WHERE id = ?1");
  s.bind(1, id);
  bool r = s.step() && s.integer(0) != 0;
  s.reset();
  return r;
}

// ---- tasks and attempts ----

Status Store::upsert_task(const TaskRecord& t) {
  return db_
      ->prepare(
          "INSERT INTO tasks(run_id, name, template, item_index, state, cached, attempts, "
          "cache_key,"
          " started_ms, finished_ms, outputs, message, backend_id, seq)"
          " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"
          " ON CONFLICT(run_id, name) DO UPDATE SET state=?5, cached=?6, attempts=?7, cache_key=?8,"
          " started_ms=?9, finished_ms=?10, outputs=?11, message=?12, backend_id=?13")
      .bind(1, t.run_id)
      .bind(2, t.name)
      .bind(3, t.templ)
      .bind(4, t.item_index)
      .bind(5, t.state)
      .bind(6, t.cached ? 1 : 0)
      .bind(7, t.attempts)
      .bind(8, t.cache_key)
      .bind(9, t.started_ms)
      .bind(10, t.finished_ms)
      .bind(11, dump_json(t.outputs))
      .bind(12, t.message)
      .bind(13, t.backend_id)
      .bind(14, t.seq)
      .done();
}

static TaskRecord read_task(Stmt& s) {
  TaskRecord t;
  t.run_id = s.text(0);
  t.name = s.text(1);
  t.templ = s.text(2);
  t.item_index = static_cast<int>(s.integer(3));
  t.state = s.text(4);
  t.cached = s.integer(5) != 0;
  t.attempts = static_cast<int>(s.integer(6));
  t.cache_key = s.text(7);
  t.started_ms = s.integer(8);
  t.finished_ms = s.integer(9);
  t.outputs = stored_json(s.text(10), "tasks", "run_id=" + t.run_id + " name=" + t.name, "outputs");
  t.message = s.text(11);
  t.backend_id = s.text(12);
  t.seq = static_cast<int>(s.integer(13));
  return t;
}

static const char* kTaskSelect =
    "SELECT run_id, name, template, item_index, state, cached, attempts, cache_key, started_ms,"
    " finished_ms, outputs, message, backend_id, seq FROM tasks";

std::vector<TaskRecord> Store::list_tasks(const std::string& run_id) {
  Stmt& s = db_->prepare(std::string(kTaskSelect) + " WHERE run_id = ?1 ORDER BY seq, item_index");
  s.bind(1, run_id);
  std::vector<TaskRecord> out;
  while (s.step()) out.push_back(read_task(s));
  s.reset();
  return out;
}

Result<TaskRecord> Store::get_task(const std::string& run_id, const std::string& name) {
  Stmt& s = db_->prepare(std::string(kTaskSelect) + " WHERE run_id = ?1 AND name = ?2");
  s.bind(1, run_id).bind(2, name);
  if (!s.step()) {
    s.reset();
    return NotFound("run " + run_id + " has no task '" + name + "'");
  }
  TaskRecord t = read_task(s);
  s.reset();
  return t;
}

Status Store::upsert_attempt(const AttemptRecord& a) {
  Stmt& s = db_->prepare(
      "INSERT INTO attempts(run_id, task, number, state, pid, backend_id, exit_code, started_ms,"
      " finished_ms, log_path, message) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
      " ON CONFLICT(run_id, task, number) DO UPDATE SET state=?4, pid=?5, backend_id=?6,"
      " exit_code=?7, started_ms=?8, finished_ms=?9, log_path=?10, message=?11");
  s.bind(1, a.run_id)
      .bind(2, a.task)
      .bind(3, a.number)
      .bind(4, a.state)
      .bind(5, a.pid)
      .bind(6, a.backend_id);
  if (a.exit_code)
    s.bind(7, *a.exit_code);
  else
    s.bind_null(7);
  s.bind(8, a.started_ms).bind(9, a.finished_ms).bind(10, a.log_path).bind(11, a.message);
  return s.done();
}

std::vector<AttemptRecord> Store::list_attempts(const std::string& run_id,
                                                const std::string& task) {
  Stmt& s = db_->prepare(
      "SELECT run_id, task, number, state, pid, backend_id, exit_code, started_ms, finished_ms,"
      " log_path, message FROM attempts WHERE run_id = ?1 AND (?2 = '' OR task = ?2)"
      " ORDER BY task, number");
  s.bind(1, run_id).bind(2, task);
  std::vector<AttemptRecord> out;
  while (s.step()) {
    AttemptRecord a;
    a.run_id = s.text(0);
    a.task = s.text(1);
    a.number = static_cast<int>(s.integer(2));
    a.state = s.text(3);
    a.pid = s.integer(4);
    a.backend_id = s.text(5);
    if (!s.is_null(6)) a.exit_code = static_cast<int>(s.integer(6));
    a.started_ms = s.integer(7);
    a.finished_ms = s.integer(8);
    a.log_path = s.text(9);
    a.message = s.text(10);
    out.push_back(std::move(a));
  }
  s.reset();
  return out;
}

// ---- artifacts, lineage, metrics ----

static const char* kArtifactSelect =
    "SELECT id, run_id, task, name, type, uri, sha256, size, mtime_ns, metadata, created_ms FROM "
    "artifacts";

static ArtifactRecord read_artifact(Stmt& s) {
  ArtifactRecord a;
  a.id = s.integer(0);
  a.run_id = s.text(1);
  a.task = s.text(2);
  a.name = s.text(3);
  a.type = s.text(4);
  a.uri = s.text(5);
  a.sha256 = s.text(6);
  a.size = s.integer(7);
  a.mtime_ns = s.integer(8);
  a.metadata = stored_json(s.text(9), "artifacts", "id=" + std::to_string(a.id), "metadata");
  a.created_ms = s.integer(10);
  return a;
}

Result<std::int64_t> Store::insert_artifact(const ArtifactRecord& a) {
  Status st = db_->prepare(
                     "INSERT INTO artifacts(run_id, task, name, type, uri, sha256, size, mtime_ns,"
                     " metadata, created_ms) VALUES (?,?,?,?,?,?,?,?,?,?)")
                  .bind(1, a.run_id)
                  .bind(2, a.task)
                  .bind(3, a.name)
                  .bind(4, a.type)
                  .bind(5, a.uri)
                  .bind(6, a.sha256)
                  .bind(7, a.size)
                  .bind(8, a.mtime_ns)
                  .bind(9, dump_json(a.metadata))
                  .bind(10, a.created_ms)
                  .done();
  if (!st.ok()) return st;
  return db_->last_insert_id();
}

Result<ArtifactRecord> Store::get_artifact(std::int64_t id) {
  return corruption_as_error([&]() -> Result<ArtifactRecord> {
    Stmt& s = db_->prepare(std::string(kArtifactSelect) + " WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) {
      s.reset();
      return NotFound("no artifact " + std::to_string(id) + " (see: slipway artifacts ls)");
    }
    ArtifactRecord a = read_artifact(s);
    s.reset();
    return a;
  });
}

std::vector<ArtifactRecord> Store::list_artifacts(const std::string& run_id, int limit) {
  Stmt& s = db_->prepare(std::string(kArtifactSelect) +
                         " WHERE (?1 = '' OR run_id = ?1) ORDER BY id DESC LIMIT ?2");
  s.bind(1, run_id).bind(2, limit);
  std::vector<ArtifactRecord> out;
  while (s.step()) out.push_back(read_artifact(s));
  s.reset();
  return out;
}

std::optional<ArtifactRecord> Store::find_artifact_by_uri(const std::string& uri) {
  Stmt& s = db_->prepare(std::string(kArtifactSelect) + " WHERE uri = ?1 ORDER BY id DESC LIMIT 1");
  s.bind(1, uri);
  std::optional<ArtifactRecord> out;
  if (s.step()) out = read_artifact(s);
  s.reset();
  return out;
}

Status Store::add_lineage(const LineageEdge& e) {
  return db_
      ->prepare(
          "INSERT OR IGNORE INTO lineage(artifact_id, run_id, task, direction, name) VALUES "
          "(?,?,?,?,?)")
      .bind(1, e.artifact_id)
      .bind(2, e.run_id)
      .bind(3, e.task)
      .bind(4, e.direction)
      .bind(5, e.name)
      .done();
}

static std::vector<LineageEdge> read_edges(Stmt& s) {
  std::vector<LineageEdge> out;
  while (s.step()) out.push_back({s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4)});
  s.reset();
  return out;
}

std::vector<LineageEdge> Store::lineage_of_artifact(std::int64_t artifact_id) {
  Stmt& s = db_->prepare(
      "SELECT artifact_id, run_id, task, direction, name FROM lineage WHERE artifact_id = ?1"
      " ORDER BY direction DESC, run_id, task");
  s.bind(1, artifact_id);
  return read_edges(s);
}

std::vector<LineageEdge> Store::lineage_of_task(const std::string& run_id,
                                                const std::string& task) {
  Stmt& s = db_->prepare(
      "SELECT artifact_id, run_id, task, direction, name FROM lineage WHERE run_id = ?1 AND task = "
      "?2"
      " ORDER BY direction, name");
  s.bind(1, run_id).bind(2, task);
  return read_edges(s);
}

Status Store::add_metric(const MetricRecord& m) {
  return db_
      ->prepare(
          "INSERT INTO metrics(run_id, task, name, value, step, created_ms) VALUES (?,?,?,?,?, "
          "strftime('%s','now')*1000)")
      .bind(1, m.run_id)
      .bind(2, m.task)
      .bind(3, m.name)
      .bind(4, m.value)
      .bind(5, m.step)
      .done();
}

std::vector<MetricRecord> Store::list_metrics(const std::string& run_id) {
  Stmt& s = db_->prepare(
      "SELECT run_id, task, name, value, step FROM metrics WHERE run_id = ?1 ORDER BY task, name, "
      "step");
  s.bind(1, run_id);
  std::vector<MetricRecord> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.real(3), s.integer(4)});
  s.reset();
  return out;
}

Status Store::add_event(const std::string& run_id, const std::string& task, const std::string& kind,
                        const std::string& detail, std::int64_t at_ms) {
  return db_->prepare("INSERT INTO events(run_id, task, at_ms, kind, detail) VALUES (?,?,?,?,?)")
      .bind(1, run_id)
      .bind(2, task)
      .bind(3, at_ms)
      .bind(4, kind)
      .bind(5, detail)
      .done();
}

std::int64_t Store::count_events(const std::string& run_id) {
  Stmt& s = db_->prepare("SELECT count(*) FROM events WHERE run_id = ?1");
  s.bind(1, run_id);
  std::int64_t n = s.step() ? s.integer(0) : 0;
  s.reset();
  return n;
}

// The newest result for a key wins (INSERT OR REPLACE): after --no-cache reruns a task, later runs
// reuse the fresh outputs rather than older ones whose artifacts may be gone.
Status Store::put_cache(const CacheEntry& e) {
  return db_
      ->prepare(
          "INSERT OR REPLACE INTO cache(key, run_id, task, outputs, created_ms) VALUES (?,?,?,?, "
          "strftime('%s','now')*1000)")
      .bind(1, e.key)
      .bind(2, e.run_id)
      .bind(3, e.task)
      .bind(4, dump_json(e.outputs))
      .done();
}

std::optional<CacheEntry> Store::get_cache(const std::string& key) {
  Stmt& s = db_->prepare("SELECT key, run_id, task, outputs FROM cache WHERE key = ?1");
  s.bind(1, key);
  std::optional<CacheEntry> out;
  if (s.step())
    out = CacheEntry{s.text(0), s.text(1), s.text(2),
                     stored_json(s.text(3), "cache", "key=" + s.text(0), "outputs")};
  s.reset();
  return out;
}

}  // namespace slipway::store
