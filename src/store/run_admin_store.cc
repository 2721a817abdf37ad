// Runs listed, archived and deleted the way Kubeflow Pipelines' API asks for them.
#include "core/status.h"
#include "store/run_rows.h"
#include "store/store.h"
#include "store/stored_json.h"

namespace slipway::store {

Result<ListPage<RunRecord>> Store::query_runs(const ListQuery& q, const std::string& ns) {
  static const std::set<std::string> kColumns = {
      "id",        "display_name", "description", "experiment",
      "namespace", "state",        "created_ms",  "finished_ms",
      "archived",  "schedule_id",  "pipeline",    "pipeline_version_id"};
  auto where =
      ns.empty() ? where_clause(q, kColumns) : where_clause(q, kColumns, "namespace = ?", {ns});
  if (!where.ok()) return where.status();
  std::string cols = kRunCols;
  cols.replace(cols.find("source"), 6, "'' AS source");
  return corruption_as_error(
      [&]() { return run_list_query<RunRecord>(*db_, cols, "runs", "id", q, *where, read_run); });
}

Status Store::set_run_archived(const std::string& id, bool archived) {
  return db_->prepare("UPDATE runs SET archived = ? WHERE id = ?")
      .bind(1, archived ? 1 : 0)
      .bind(2, id)
      .done();
}

Status Store::delete_run(const std::string& id) {
  auto run = get_run(id);
  if (!run.ok()) return run.status();
  if (run->state == "PENDING" || run->state == "RUNNING")
    return Conflict("run " + run->id + " is " + run->state + "; terminate it first");
  SLIPWAY_RETURN_IF_ERROR(begin());
  for (const char* table : {"tasks", "attempts", "events", "metrics"}) {
    Status st = db_->prepare(std::string("DELETE FROM ") + table + " WHERE run_id = ?")
                    .bind(1, run->id)
                    .done();
    if (!st.ok()) {
      (void)rollback();  // safe: the delete's own error is the one to report
      return st;
    }
  }
  Status st = db_->prepare("DELETE FROM runs WHERE id = ?").bind(1, run->id).done();
  if (!st.ok()) {
    (void)rollback();  // safe: the delete's own error is the one to report
    return st;
  }
  return commit();
}

}  // namespace slipway::store
