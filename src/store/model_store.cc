// The store's model registry: model_versions and model_stage_events.
#include "core/clock.h"
#include "core/json.h"
#include "core/status.h"
#include "store/store.h"
#include "store/stored_json.h"

namespace slipway::store {

namespace {

const char* kVersionCols =
    "name, version, run_id, task, artifact_id, uri, digest, metrics, reference, stage, created_ms, "
    "stage_changed_ms, namespace";

ModelVersionRecord read_version(Stmt& s) {
  ModelVersionRecord r;
  r.name = s.text(0);
  r.version = static_cast<int>(s.integer(1));
  r.run_id = s.text(2);
  r.task = s.text(3);
  r.artifact_id = s.integer(4);
  r.uri = s.text(5);
  r.digest = s.text(6);
  const std::string row = "name=" + r.name + " version=" + std::to_string(r.version);
  r.metrics = stored_json(s.text(7), "model_versions", row, "metrics");
  r.reference = stored_json(s.text(8), "model_versions", row, "reference");
  r.stage = s.text(9);
  r.created_ms = s.integer(10);
  r.stage_changed_ms = s.integer(11);
  r.ns = s.text(12);
  return r;
}

bool known_stage(const std::string& s) {
  return s == "none" || s == "staging" || s == "production" || s == "archived";
}

}  // namespace

Status Store::insert_model_version(const ModelVersionRecord& v) {
  if (!known_stage(v.stage))
    return InvalidInput("stage '" + v.stage + "' is not none, staging, production or archived");
  SLIPWAY_RETURN_IF_ERROR(begin());
  Status s = db_->prepare(std::string("INSERT INTO model_versions(") + kVersionCols +
                          ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
                 .bind(1, v.name)
                 .bind(2, v.version)
                 .bind(3, v.run_id)
                 .bind(4, v.task)
                 .bind(5, v.artifact_id)
                 .bind(6, v.uri)
                 .bind(7, v.digest)
                 .bind(8, dump_json(v.metrics))
                 .bind(9, dump_json(v.reference))
                 .bind(10, std::string("none"))
                 .bind(11, v.created_ms)
                 .bind(12, v.created_ms)
                 .bind(13, v.ns)
                 .done();
  if (s.ok() && v.stage != "none") s = set_model_stage(v.name, v.version, v.stage, "registered");
  if (!s.ok()) {
    (void)rollback();  // safe: the write's error is the one to report
    if (s.message().find("UNIQUE") != std::string::npos)
      return Conflict("model " + v.name + " version " + std::to_string(v.version) +
                      " is already registered");
    return s;
  }
  return commit();
}

Result<ModelVersionRecord> Store::get_model_version(const std::string& name, int version) {
  return corruption_as_error([&]() -> Result<ModelVersionRecord> {
    Stmt& s = db_->prepare(std::string("SELECT ") + kVersionCols +
                           " FROM model_versions WHERE name = ? AND version = ?");
    s.bind(1, name).bind(2, version);
    std::optional<ModelVersionRecord> r;
    if (s.step()) r = read_version(s);
    s.reset();
    if (!r)
      return NotFound("model " + name + " has no registered version " + std::to_string(version) +
                      " (slipway models ls lists them)");
    return *r;
  });
}

std::vector<ModelVersionRecord> Store::list_model_versions(const std::string& name) {
  Stmt& s = db_->prepare(std::string("SELECT ") + kVersionCols +
                         " FROM model_versions WHERE ? = '' OR name = ? ORDER BY name, version");
  s.bind(1, name).bind(2, name);
  std::vector<ModelVersionRecord> out;
  while (s.step()) out.push_back(read_version(s));
  s.reset();
  return out;
}

Status Store::set_model_stage(const std::string& name, int version, const std::string& stage,
                              const std::string& reason) {
  if (!known_stage(stage))
    return InvalidInput("stage '" + stage + "' is not none, staging, production or archived");
  auto v = get_model_version(name, version);
  if (!v.ok()) return v.status();
  const std::int64_t now = now_ms();
  SLIPWAY_RETURN_IF_ERROR(begin());
  auto move = [&](int ver, const std::string& st, const std::string& why) {
    Status s = db_->prepare(
                      "UPDATE model_versions SET stage = ?, stage_changed_ms = ? WHERE name = ? "
                      "AND version = ?")
                   .bind(1, st)
                   .bind(2, now)
                   .bind(3, name)
                   .bind(4, ver)
                   .done();
    if (!s.ok()) return s;
    return db_
        ->prepare(
            "INSERT INTO model_stage_events(name, version, stage, reason, at_ms) VALUES "
            "(?,?,?,?,?)")
        .bind(1, name)
        .bind(2, ver)
        .bind(3, st)
        .bind(4, why)
        .bind(5, now)
        .done();
  };
  Status s;
  if (stage == "production")
    if (auto current = production_version(name); current && *current != version)
      s = move(*current, "archived", "replaced by version " + std::to_string(version));
  if (s.ok()) s = move(version, stage, reason);
  if (!s.ok()) {
    (void)rollback();  // safe: the write's error is the one to report
    return s;
  }
  return commit();
}

std::optional<int> Store::production_version(const std::string& name) {
  Stmt& s = db_->prepare(
      "SELECT version FROM model_versions WHERE name = ? AND stage = 'production' ORDER BY "
      "stage_changed_ms DESC LIMIT 1");
  s.bind(1, name);
  std::optional<int> v;
  if (s.step()) v = static_cast<int>(s.integer(0));
  s.reset();
  return v;
}

std::vector<StageEvent> Store::stage_history(const std::string& name) {
  Stmt& s = db_->prepare(
      "SELECT name, version, stage, reason, at_ms FROM model_stage_events WHERE name = ? ORDER BY "
      "at_ms, rowid");
  s.bind(1, name);
  std::vector<StageEvent> out;
  while (s.step())
    out.push_back({s.text(0), static_cast<int>(s.integer(1)), s.text(2), s.text(3), s.integer(4)});
  s.reset();
  return out;
}

}  // namespace slipway::store
