// The store's uploaded pipelines and their versions (Kubeflow Pipelines' pipeline registry): a
// version keeps the pipeline's whole text, so a run from it does not depend on any file.
#include "core/status.h"
#include "store/store.h"

namespace slipway::store {

namespace {

const char* kPipelineCols = "id, namespace, name, display_name, description, created_ms";
const char* kVersionCols =
    "id, pipeline_id, name, display_name, description, source, code_source_url, created_ms";

PipelineRecord read_pipeline(Stmt& s) {
  PipelineRecord p;
  p.id = s.text(0);
  p.ns = s.text(1);
  p.name = s.text(2);
  p.display_name = s.text(3);
  p.description = s.text(4);
  p.created_ms = s.integer(5);
  return p;
}

PipelineVersionRecord read_version(Stmt& s) {
  PipelineVersionRecord v;
  v.id = s.text(0);
  v.pipeline_id = s.text(1);
  v.name = s.text(2);
  v.display_name = s.text(3);
  v.description = s.text(4);
  v.source = s.text(5);
  v.code_source_url = s.text(6);
  v.created_ms = s.integer(7);
  return v;
}

template <typename Record, typename Reader>
Result<Record> one_row(Db& db, const std::string& sql, const std::vector<SqlValue>& values,
                       Reader read, const std::string& missing) {
  Stmt& s = db.prepare(sql);
  bind_values(s, values);
  if (!s.step()) {
    s.reset();
    return NotFound(missing);
  }
  Record r = read(s);
  s.reset();
  return r;
}

}  // namespace

Status Store::insert_pipeline(const PipelineRecord& p) {
  SLIPWAY_RETURN_IF_ERROR(ensure_namespace(p.ns));
  if (find_pipeline(p.ns, p.name).ok())
    return Conflict("a pipeline named '" + p.name + "' already exists in namespace " + p.ns +
                    "; upload a new version of it instead");
  return db_
      ->prepare(std::string("INSERT INTO pipelines(") + kPipelineCols + ") VALUES (?,?,?,?,?,?)")
      .bind(1, p.id)
      .bind(2, p.ns)
      .bind(3, p.name)
      .bind(4, p.display_name)
      .bind(5, p.description)
      .bind(6, p.created_ms)
      .done();
}

Result<PipelineRecord> Store::get_pipeline(const std::string& id) {
  return one_row<PipelineRecord>(
      *db_, std::string("SELECT ") + kPipelineCols + " FROM pipelines WHERE id = ?", {id},
      read_pipeline, "no pipeline with id '" + id + "'");
}

Result<PipelineRecord> Store::find_pipeline(const std::string& ns, const std::string& name) {
  return one_row<PipelineRecord>(
      *db_,
      std::string("SELECT ") + kPipelineCols + " FROM pipelines WHERE namespace = ? AND name = ?",
      {ns, name}, read_pipeline, "no pipeline named '" + name + "' in namespace " + ns);
}

Result<ListPage<PipelineRecord>> Store::query_pipelines(const ListQuery& q, const std::string& ns) {
  static const std::set<std::string> kColumns = {"id",        "name",        "display_name",
                                                 "namespace", "description", "created_ms"};
  auto where =
      ns.empty() ? where_clause(q, kColumns) : where_clause(q, kColumns, "namespace = ?", {ns});
  if (!where.ok()) return where.status();
  return run_list_query<PipelineRecord>(*db_, kPipelineCols, "pipelines", "id", q, *where,
                                        read_pipeline);
}

Status Store::delete_pipeline(const std::string& id, bool cascade) {
  auto p = get_pipeline(id);
  if (!p.ok()) return p.status();
  Stmt& n = db_->prepare("SELECT COUNT(*) FROM pipeline_versions WHERE pipeline_id = ?");
  n.bind(1, id);
  std::int64_t versions = n.step() ? n.integer(0) : 0;
  n.reset();
  if (versions > 0 && !cascade)
    return Conflict("pipeline '" + p->name + "' has " + std::to_string(versions) +
                    " version(s); delete them first, or delete with cascade=true");
  SLIPWAY_RETURN_IF_ERROR(begin());
  Status st =
      db_->prepare("DELETE FROM pipeline_versions WHERE pipeline_id = ?").bind(1, id).done();
  if (st.ok()) st = db_->prepare("DELETE FROM pipelines WHERE id = ?").bind(1, id).done();
  if (!st.ok()) {
    (void)rollback();  // safe: the delete's own error is the one to report
    return st;
  }
  return commit();
}

Status Store::insert_pipeline_version(const PipelineVersionRecord& v) {
  Stmt& dup = db_->prepare("SELECT 1 FROM pipeline_versions WHERE pipeline_id = ? AND name = ?");
  dup.bind(1, v.pipeline_id).bind(2, v.name);
  bool exists = dup.step();
  dup.reset();
  if (exists)
    return Conflict("the pipeline already has a version named '" + v.name +
                    "'; give the new version another name");
  return db_
      ->prepare(std::string("INSERT INTO pipeline_versions(") + kVersionCols +
                ") VALUES (?,?,?,?,?,?,?,?)")
      .bind(1, v.id)
      .bind(2, v.pipeline_id)
      .bind(3, v.name)
      .bind(4, v.display_name)
      .bind(5, v.description)
      .bind(6, v.source)
      .bind(7, v.code_source_url)
      .bind(8, v.created_ms)
      .done();
}

Result<PipelineVersionRecord> Store::get_pipeline_version(const std::string& id) {
  return one_row<PipelineVersionRecord>(
      *db_, std::string("SELECT ") + kVersionCols + " FROM pipeline_versions WHERE id = ?", {id},
      read_version, "no pipeline version with id '" + id + "'");
}

Result<PipelineVersionRecord> Store::latest_pipeline_version(const std::string& pipeline_id) {
  return one_row<PipelineVersionRecord>(
      *db_,
      std::string("SELECT ") + kVersionCols +
          " FROM pipeline_versions WHERE pipeline_id = ? ORDER BY created_ms DESC, id DESC LIMIT 1",
      {pipeline_id}, read_version, "pipeline " + pipeline_id + " has no versions");
}

Result<ListPage<PipelineVersionRecord>> Store::query_pipeline_versions(
    const ListQuery& q, const std::string& pipeline_id) {
  static const std::set<std::string> kColumns = {"id", "name", "display_name", "description",
                                                 "created_ms"};
  auto where = where_clause(q, kColumns, "pipeline_id = ?", {pipeline_id});
  if (!where.ok()) return where.status();
  return run_list_query<PipelineVersionRecord>(*db_, kVersionCols, "pipeline_versions", "id", q,
                                               *where, read_version);
}

Status Store::delete_pipeline_version(const std::string& id) {
  return db_->prepare("DELETE FROM pipeline_versions WHERE id = ?").bind(1, id).done();
}

}  // namespace slipway::store
