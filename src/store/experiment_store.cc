// The store's experiments: named groups of runs, each with an id (Kubeflow Pipelines' clients
// address them by id) and an archived flag. "Default" is every namespace's catch-all; any other
// name belongs to the namespace that made it.
#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace slipway::store {

namespace {

const char* kExperimentCols =
    "id, name, namespace, description, created_ms, archived, "
    "(SELECT MAX(created_ms) FROM runs WHERE runs.experiment = experiments.name)";

ExperimentRecord read_experiment(Stmt& s) {
  ExperimentRecord e;
  e.id = s.text(0);
  e.name = s.text(1);
  e.ns = s.text(2);
  e.description = s.text(3);
  e.created_ms = s.integer(4);
  e.archived = s.integer(5) != 0;
  e.last_run_created_ms = s.is_null(6) ? 0 : s.integer(6);
  return e;
}

Result<ExperimentRecord> experiment_where(Db& db, const std::string& column,
                                          const std::string& value) {
  Stmt& s = db.prepare(std::string("SELECT ") + kExperimentCols + " FROM experiments WHERE " +
                       column + " = ?");
  s.bind(1, value);
  if (!s.step()) {
    s.reset();
    return NotFound("no experiment with " + std::string(column == "id" ? "id" : "name") + " '" +
                    value + "'");
  }
  ExperimentRecord e = read_experiment(s);
  s.reset();
  return e;
}

}  // namespace

Status Store::ensure_experiment(const std::string& name, const std::string& ns,
                                const std::string& description) {
  SLIPWAY_RETURN_IF_ERROR(ensure_namespace(ns));
  SLIPWAY_RETURN_IF_ERROR(
      db_->prepare("INSERT OR IGNORE INTO experiments(id, name, namespace, description, "
                   "created_ms) VALUES (?, ?, ?, ?, ?)")
          .bind(1, random_uuid())
          .bind(2, name)
          .bind(3, ns)
          .bind(4, description)
          .bind(5, now_ms())
          .done());
  if (name == "Default") return Status::Ok();
  Stmt& s = db_->prepare("SELECT namespace FROM experiments WHERE name = ?");
  s.bind(1, name);
  std::string owner = s.step() ? s.text(0) : ns;
  s.reset();
  if (owner != ns)
    return Conflict("the experiment name '" + name +
                    "' is taken by another namespace; choose another name");
  return Status::Ok();
}

std::vector<ExperimentRecord> Store::list_experiments(const std::string& ns) {
  Stmt& s = db_->prepare(std::string("SELECT ") + kExperimentCols +
                         " FROM experiments WHERE ?1 = '' OR namespace = ?1 OR name = 'Default' "
                         "ORDER BY created_ms DESC, name");
  s.bind(1, ns);
  std::vector<ExperimentRecord> out;
  while (s.step()) out.push_back(read_experiment(s));
  s.reset();
  return out;
}

Result<ExperimentRecord> Store::create_experiment(const std::string& name, const std::string& ns,
                                                  const std::string& description) {
  if (find_experiment(name).ok())
    return Conflict("an experiment named '" + name + "' already exists" +
                    (name == "Default" ? " (every namespace shares it)" : ""));
  SLIPWAY_RETURN_IF_ERROR(ensure_experiment(name, ns, description));
  return find_experiment(name);
}

Result<ExperimentRecord> Store::get_experiment(const std::string& id) {
  return experiment_where(*db_, "id", id);
}

Result<ExperimentRecord> Store::find_experiment(const std::string& name) {
  return experiment_where(*db_, "name", name);
}

std::string Store::experiment_id(const std::string& name) {
  Stmt& s = db_->prepare("SELECT id FROM experiments WHERE name = ?");
  s.bind(1, name);
  std::string id = s.step() ? s.text(0) : "";
  s.reset();
  return id;
}

Result<ListPage<ExperimentRecord>> Store::query_experiments(const ListQuery& q,
                                                            const std::string& ns) {
  static const std::set<std::string> kColumns = {"id",          "name",       "namespace",
                                                 "description", "created_ms", "archived"};
  auto where = ns.empty() ? where_clause(q, kColumns)
                          : where_clause(q, kColumns, "namespace = ? OR name = 'Default'", {ns});
  if (!where.ok()) return where.status();
  return run_list_query<ExperimentRecord>(*db_, kExperimentCols, "experiments", "id", q, *where,
                                          read_experiment);
}

Status Store::set_experiment_archived(const std::string& id, bool archived) {
  auto e = get_experiment(id);
  if (!e.ok()) return e.status();
  SLIPWAY_RETURN_IF_ERROR(begin());
  Status st = db_->prepare("UPDATE experiments SET archived = ? WHERE id = ?")
                  .bind(1, archived ? 1 : 0)
                  .bind(2, id)
                  .done();
  // As Kubeflow Pipelines does: archiving an experiment archives its runs and disables its
  // recurring runs; unarchiving restores the experiment alone.
  if (st.ok() && archived)
    st = db_->prepare("UPDATE runs SET archived = 1 WHERE experiment = ?").bind(1, e->name).done();
  if (st.ok() && archived)
    st = db_->prepare("UPDATE schedules SET enabled = 0, updated_ms = ? WHERE experiment = ?")
             .bind(1, now_ms())
             .bind(2, e->name)
             .done();
  if (!st.ok()) {
    (void)rollback();  // safe: the update's own error is the one to report
    return st;
  }
  return commit();
}

Status Store::delete_experiment(const std::string& id) {
  auto e = get_experiment(id);
  if (!e.ok()) return e.status();
  if (e->name == "Default") return InvalidInput("the Default experiment cannot be deleted");
  // Kubeflow Pipelines leaves an experiment's runs behind without it; here a run always belongs
  // to an experiment, so the runs go first, by the caller's own choice, never silently.
  Stmt& runs = db_->prepare("SELECT COUNT(*) FROM runs WHERE experiment = ?");
  runs.bind(1, e->name);
  std::int64_t n = runs.step() ? runs.integer(0) : 0;
  runs.reset();
  if (n > 0)
    return Conflict("experiment '" + e->name + "' still has " + std::to_string(n) +
                    " run(s); delete them first, or archive the experiment to hide it");
  return db_->prepare("DELETE FROM experiments WHERE id = ?").bind(1, id).done();
}

}  // namespace slipway::store
