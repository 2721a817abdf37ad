// The store's recurring runs.
#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"
#include "store/store.h"
#include "store/stored_json.h"

namespace slipway::store {

namespace {

const char* kScheduleCols =
    "id, namespace, name, pipeline_file, source, params, experiment, backend, cron, interval_s, "
    "start_ms, max_concurrency, catch_up, enabled, "
    "last_fired_ms, created_ms, message, no_cache, description, end_ms, pipeline_version_id, "
    "trigger_as_written, updated_ms";

ScheduleRecord read_schedule(Stmt& s) {
  ScheduleRecord r;
  r.id = s.text(0);
  r.ns = s.text(1);
  r.name = s.text(2);
  r.pipeline_file = s.text(3);
  r.source = s.text(4);
  r.params = stored_json(s.text(5), "schedules", "id=" + r.id, "params");
  r.experiment = s.text(6);
  r.backend = s.text(7);
  r.cron = s.text(8);
  r.interval_s = s.integer(9);
  r.start_ms = s.integer(10);
  r.max_concurrency = static_cast<int>(s.integer(11));
  r.catch_up = s.integer(12) != 0;
  r.enabled = s.integer(13) != 0;
  r.last_fired_ms = s.integer(14);
  r.created_ms = s.integer(15);
  r.message = s.text(16);
  r.no_cache = s.integer(17) != 0;
  r.description = s.text(18);
  r.end_ms = s.integer(19);
  r.pipeline_version_id = s.text(20);
  r.trigger_as_written = s.text(21);
  r.updated_ms = s.integer(22);
  return r;
}

}  // namespace

Status Store::insert_schedule(const ScheduleRecord& r) {
  SLIPWAY_RETURN_IF_ERROR(ensure_namespace(r.ns));
  return db_
      ->prepare(std::string("INSERT INTO schedules(") + kScheduleCols +
                ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
      .bind(1, r.id)
      .bind(2, r.ns)
      .bind(3, r.name)
      .bind(4, r.pipeline_file)
      .bind(5, r.source)
      .bind(6, dump_json(r.params))
      .bind(7, r.experiment)
      .bind(8, r.backend)
      .bind(9, r.cron)
      .bind(10, r.interval_s)
      .bind(11, r.start_ms)
      .bind(12, r.max_concurrency)
      .bind(13, r.catch_up ? 1 : 0)
      .bind(14, r.enabled ? 1 : 0)
      .bind(15, r.last_fired_ms)
      .bind(16, r.created_ms)
      .bind(17, r.message)
      .bind(18, r.no_cache ? 1 : 0)
      .bind(19, r.description)
      .bind(20, r.end_ms)
      .bind(21, r.pipeline_version_id)
      .bind(22, r.trigger_as_written)
      .bind(23, r.updated_ms)
      .done();
}

Result<ScheduleRecord> Store::get_schedule(const std::string& id) {
  return corruption_as_error([&]() -> Result<ScheduleRecord> {
    Stmt& s = db_->prepare(std::string("SELECT ") + kScheduleCols +
                           " FROM schedules WHERE id = ? OR substr(id, 1, length(?)) = ? ORDER BY "
                           "id = ? DESC LIMIT 2");
    s.bind(1, id).bind(2, id).bind(3, id).bind(4, id);
    std::vector<ScheduleRecord> found;
    while (s.step()) found.push_back(read_schedule(s));
    s.reset();
    if (found.empty()) return NotFound("no schedule " + id + " (slipway schedules ls lists them)");
    if (found.size() > 1 && found[0].id != id)
      return InvalidInput("schedule id " + id + " is ambiguous; type more of it");
    return found[0];
  });
}

std::vector<ScheduleRecord> Store::list_schedules(const std::string& ns) {
  Stmt& s = db_->prepare(std::string("SELECT ") + kScheduleCols +
                         " FROM schedules WHERE ?1 = '' OR namespace = ?1 ORDER BY created_ms, id");
  s.bind(1, ns);
  std::vector<ScheduleRecord> out;
  while (s.step()) out.push_back(read_schedule(s));
  s.reset();
  return out;
}

Status Store::set_schedule_enabled(const std::string& id, bool enabled) {
  return db_->prepare("UPDATE schedules SET enabled = ?, updated_ms = ? WHERE id = ?")
      .bind(1, enabled ? 1 : 0)
      .bind(2, now_ms())
      .bind(3, id)
      .done();
}

Status Store::set_schedule_fired(const std::string& id, std::int64_t last_fired_ms,
                                 const std::string& message) {
  return db_->prepare("UPDATE schedules SET last_fired_ms = ?, message = ? WHERE id = ?")
      .bind(1, last_fired_ms)
      .bind(2, message)
      .bind(3, id)
      .done();
}

Status Store::delete_schedule(const std::string& id) {
  return db_->prepare("DELETE FROM schedules WHERE id = ?").bind(1, id).done();
}

Result<ListPage<ScheduleRecord>> Store::query_schedules(const ListQuery& q, const std::string& ns) {
  static const std::set<std::string> kColumns = {"id",         "name",      "namespace",
                                                 "experiment", "enabled",   "description",
                                                 "created_ms", "updated_ms"};
  auto where =
      ns.empty() ? where_clause(q, kColumns) : where_clause(q, kColumns, "namespace = ?", {ns});
  if (!where.ok()) return where.status();
  return corruption_as_error([&]() {
    return run_list_query<ScheduleRecord>(*db_, kScheduleCols, "schedules", "id", q, *where,
                                          read_schedule);
  });
}

int Store::count_active_runs(const std::string& schedule_id) {
  Stmt& s = db_->prepare(
      "SELECT count(*) FROM runs WHERE schedule_id = ? AND state IN ('PENDING', 'RUNNING')");
  s.bind(1, schedule_id);
  int n = s.step() ? static_cast<int>(s.integer(0)) : 0;
  s.reset();
  return n;
}

}  // namespace slipway::store
