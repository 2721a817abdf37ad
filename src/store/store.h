// The metadata store: SQLite in WAL mode at $SLIPWAY_HOME/slipway.db.
//
// Durability: writes happen inside batches (begin/commit); the engine groups every transition of
// one loop turn into one commit, so the cost of a commit is shared by many tasks. WAL with
// synchronous=NORMAL makes a committed batch survive the death of any slipway process (kill -9);
// set SLIPWAY_SYNC=full to also survive power loss at the cost of an fsync per batch.
//
// Thread-safety: one Store per thread; many processes may open the same store at once.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/list_query.h"
#include "store/records.h"
#include "store/sqlite.h"

namespace slipway::store {

struct RunFilter {
  std::string ns;           // namespace; "" for any
  std::string state;        // "" for any
  std::string experiment;   // "" for any
  std::string pipeline;     // "" for any
  std::string schedule_id;  // "" for any
  int limit = 50;
  // Keyset pagination: runs strictly after (created_ms, id) = (before_ms, before_id) in
  // newest-first order; before_ms 0 for the newest. A page costs the same at any depth.
  std::int64_t before_ms = 0;
  std::string before_id;
  bool with_source =
      true;  // false leaves RunRecord::source empty (lists do not need the pipeline text)
};

struct ExperimentRecord {
  std::string id, name, ns, description;
  std::int64_t created_ms = 0;
  bool archived = false;
  std::int64_t last_run_created_ms = 0;  // 0: no runs
};

class Store {
 public:
  // Opens (creating and migrating as needed) the store under `home`.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& home);

  const std::filesystem::path& home() const { return home_; }
  Db& db() { return *db_; }

  // Batches nest: only the outermost commit writes.
  Status begin();
  Status commit();
  Status rollback();

  // Experiments. An experiment name belongs to one namespace; using it from another is a Conflict.
  Status ensure_experiment(const std::string& name, const std::string& ns = "default",
                           const std::string& description = "");
  std::vector<ExperimentRecord> list_experiments(const std::string& ns);  // "" for every namespace
  // Experiments as Kubeflow Pipelines' API addresses them (experiment_store.cc): by id, paged.
  // create_experiment is a Conflict when the name exists; ensure_experiment is idempotent.
  Result<ExperimentRecord> create_experiment(const std::string& name, const std::string& ns,
                                             const std::string& description);
  Result<ExperimentRecord> get_experiment(const std::string& id);
  Result<ExperimentRecord> find_experiment(const std::string& name);
  // The id alone ("" for an unknown name): what a listed run or recurring run shows, without
  // the last-run time find_experiment computes.
  std::string experiment_id(const std::string& name);
  // Columns: id name namespace description created_ms archived. ns "" for every namespace.
  Result<ListPage<ExperimentRecord>> query_experiments(const ListQuery& q, const std::string& ns);
  // Archiving archives the experiment's runs and disables its recurring runs.
  Status set_experiment_archived(const std::string& id, bool archived);
  // A Conflict while it has runs (delete them first). "Default" cannot be deleted.
  Status delete_experiment(const std::string& id);

  // Uploaded pipelines and their versions (pipeline_store.cc). Names are unique in a namespace
  // (pipelines) and in a pipeline (versions); an existing one is a Conflict.
  Status insert_pipeline(const PipelineRecord& p);
  Result<PipelineRecord> get_pipeline(const std::string& id);
  Result<PipelineRecord> find_pipeline(const std::string& ns, const std::string& name);
  // Columns: id name display_name namespace description created_ms.
  Result<ListPage<PipelineRecord>> query_pipelines(const ListQuery& q, const std::string& ns);
  // Deletes the pipeline; with cascade its versions too, else a Conflict while it has versions.
  Status delete_pipeline(const std::string& id, bool cascade);
  Status insert_pipeline_version(const PipelineVersionRecord& v);
  Result<PipelineVersionRecord> get_pipeline_version(const std::string& id);
  Result<PipelineVersionRecord> latest_pipeline_version(const std::string& pipeline_id);
  // Columns: id name display_name description created_ms (within one pipeline).
  Result<ListPage<PipelineVersionRecord>> query_pipeline_versions(const ListQuery& q,
                                                                  const std::string& pipeline_id);
  Status delete_pipeline_version(const std::string& id);

  // Namespaces and API tokens (tenancy_store.cc). create_token returns the token's secret text,
  // which is not stored (only its SHA-256 is) and so cannot be shown again.
  Status ensure_namespace(const std::string& ns);
  std::vector<std::string> list_namespaces();
  Result<std::string> create_token(const std::string& ns, bool admin,
                                   const std::string& description, std::int64_t now);
  std::optional<TokenRecord> find_token(const std::string& secret);  // nullopt: unknown or revoked
  std::vector<TokenRecord> list_tokens();
  Status revoke_token(const std::string& id, std::int64_t now);

  // Recurring runs (schedule_store.cc).
  Status insert_schedule(const ScheduleRecord& s);
  Result<ScheduleRecord> get_schedule(const std::string& id);         // a unique prefix is enough
  std::vector<ScheduleRecord> list_schedules(const std::string& ns);  // "" for every namespace
  Status set_schedule_enabled(const std::string& id, bool enabled);
  Status set_schedule_fired(const std::string& id, std::int64_t last_fired_ms,
                            const std::string& message);
  Status delete_schedule(const std::string& id);
  // Columns: id name namespace experiment enabled description created_ms updated_ms.
  Result<ListPage<ScheduleRecord>> query_schedules(const ListQuery& q, const std::string& ns);
  int count_active_runs(const std::string& schedule_id);

  // Runs
  Status insert_run(const RunRecord& r);
  Result<RunRecord> get_run(const std::string& id);
  std::vector<RunRecord> list_runs(const RunFilter& f);
  // Runs as Kubeflow Pipelines' API lists them (run_admin_store.cc). Columns: id display_name
  // description experiment namespace state created_ms finished_ms archived schedule_id pipeline
  // pipeline_version_id. ns "" for every namespace. Lists leave RunRecord::source empty.
  Result<ListPage<RunRecord>> query_runs(const ListQuery& q, const std::string& ns);
  Status set_run_archived(const std::string& id, bool archived);
  // Removes a finished run's records (tasks, attempts, events, metrics); its artifacts and their
  // lineage stay, since other runs and the cache may use them. A Conflict while it is active.
  Status delete_run(const std::string& id);
  Status set_run_state(const std::string& id, const std::string& state, std::int64_t at_ms,
                       const std::string& message = "");
  Status set_run_started(const std::string& id, std::int64_t at_ms);
  // The driver lease: succeeds when no other live driver holds the run. A driver is live when its
  // heartbeat is newer than `stale_ms` and, on this host, its pid still exists.
  Status acquire_lease(const std::string& id, std::int64_t pid, const std::string& host,
                       std::int64_t now_ms, std::int64_t stale_ms);
  Status heartbeat(const std::string& id, std::int64_t pid, std::int64_t now_ms);
  Status release_lease(const std::string& id, std::int64_t pid);
  Status request_cancel(const std::string& id);
  bool cancel_requested(const std::string& id);

  // Tasks and attempts
  Status upsert_task(const TaskRecord& t);
  std::vector<TaskRecord> list_tasks(const std::string& run_id);
  Result<TaskRecord> get_task(const std::string& run_id, const std::string& name);
  Status upsert_attempt(const AttemptRecord& a);
  std::vector<AttemptRecord> list_attempts(const std::string& run_id, const std::string& task = "");

  // Artifacts, lineage, metrics
  Result<std::int64_t> insert_artifact(const ArtifactRecord& a);
  Result<ArtifactRecord> get_artifact(std::int64_t id);
  std::vector<ArtifactRecord> list_artifacts(const std::string& run_id = "", int limit = 200);
  // The newest artifact record with this uri, to reuse a digest when the file is unchanged.
  std::optional<ArtifactRecord> find_artifact_by_uri(const std::string& uri);
  Status add_lineage(const LineageEdge& e);
  std::vector<LineageEdge> lineage_of_artifact(std::int64_t artifact_id);
  std::vector<LineageEdge> lineage_of_task(const std::string& run_id, const std::string& task);
  Status add_metric(const MetricRecord& m);
  std::vector<MetricRecord> list_metrics(const std::string& run_id);

  // Events: an append-only log of transitions, for audit and the dashboard.
  Status add_event(const std::string& run_id, const std::string& task, const std::string& kind,
                   const std::string& detail, std::int64_t at_ms);
  std::int64_t count_events(const std::string& run_id);

  // Cache index: content-addressed key -> outputs of the task that produced them.
  Status put_cache(const CacheEntry& e);
  std::optional<CacheEntry> get_cache(const std::string& key);

  // Sweeps (sweep_store.cc).
  Status insert_sweep(const SweepRecord& s);
  Result<SweepRecord> get_sweep(const std::string& id);  // a unique prefix is enough
  std::vector<SweepRecord> list_sweeps(int limit = 200);
  Status update_sweep_state(const std::string& id, const std::string& state,
                            const std::string& message, std::int64_t finished_ms);
  Status sweep_heartbeat(const std::string& id, std::int64_t pid, std::int64_t now_ms);
  // A finished sweep goes on (Katib's restart under resumePolicy LongRunning or FromVolume):
  // RUNNING again, with this trial budget.
  Status continue_sweep(const std::string& id, int max_trials);
  Status request_sweep_cancel(const std::string& id);
  Status upsert_trial(const TrialRecord& t);
  std::vector<TrialRecord> list_trials(const std::string& sweep_id);

  // The model registry (model_store.cc).
  Status insert_model_version(const ModelVersionRecord& v);
  Result<ModelVersionRecord> get_model_version(const std::string& name, int version);
  std::vector<ModelVersionRecord> list_model_versions(const std::string& name = "");
  // Moves a version to a stage (none, staging, production, archived). Promoting to production
  // archives the version that was there, so a model has at most one production version.
  Status set_model_stage(const std::string& name, int version, const std::string& stage,
                         const std::string& reason);
  std::optional<int> production_version(const std::string& name);
  std::vector<StageEvent> stage_history(const std::string& name);

 private:
  Store(std::filesystem::path home, std::unique_ptr<Db> db)
      : home_(std::move(home)), db_(std::move(db)) {}
  std::filesystem::path home_;
  std::unique_ptr<Db> db_;
  int depth_ = 0;
};

}  // namespace slipway::store
