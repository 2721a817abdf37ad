#include "store/schema.h"

namespace slipway::store {

const std::vector<std::string>& schema_migrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: the foundation: experiments, runs, tasks, attempts, artifacts, lineage, metrics,
      //    events, and the cache index.
      R"sql(
      CREATE TABLE experiments (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL);
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        experiment TEXT NOT NULL REFERENCES experiments(name),
        pipeline TEXT NOT NULL,
        pipeline_file TEXT NOT NULL,
        format TEXT NOT NULL,
        source TEXT NOT NULL,
        params TEXT NOT NULL,
        options TEXT NOT NULL,
        state TEXT NOT NULL,
        backend TEXT NOT NULL,
        root TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        started_ms INTEGER NOT NULL DEFAULT 0,
        finished_ms INTEGER NOT NULL DEFAULT 0,
        driver_pid INTEGER NOT NULL DEFAULT 0,
        driver_host TEXT NOT NULL DEFAULT '',
        heartbeat_ms INTEGER NOT NULL DEFAULT 0,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '');
      CREATE INDEX runs_by_created ON runs(created_ms);
      CREATE TABLE tasks (
        run_id TEXT NOT NULL REFERENCES runs(id),
        name TEXT NOT NULL,
        template TEXT NOT NULL,
        item_index INTEGER NOT NULL DEFAULT -1,
        state TEXT NOT NULL,
        cached INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        cache_key TEXT NOT NULL DEFAULT '',
        started_ms INTEGER NOT NULL DEFAULT 0,
        finished_ms INTEGER NOT NULL DEFAULT 0,
        outputs TEXT NOT NULL DEFAULT '{}',
        message TEXT NOT NULL DEFAULT '',
        backend_id TEXT NOT NULL DEFAULT '',
        seq INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, name));
      CREATE TABLE attempts (
        run_id TEXT NOT NULL,
        task TEXT NOT NULL,
        number INTEGER NOT NULL,
        state TEXT NOT NULL,
        pid INTEGER NOT NULL DEFAULT 0,
        backend_id TEXT NOT NULL DEFAULT '',
        exit_code INTEGER,
        started_ms INTEGER NOT NULL DEFAULT 0,
        finished_ms INTEGER NOT NULL DEFAULT 0,
        log_path TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, task, number));
      CREATE TABLE artifacts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        task TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        uri TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL DEFAULT 0,
        metadata TEXT NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL);
      CREATE INDEX artifacts_by_run ON artifacts(run_id, task);
      CREATE INDEX artifacts_by_digest ON artifacts(sha256);
      CREATE TABLE lineage (
        artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
        run_id TEXT NOT NULL,
        task TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
        name TEXT NOT NULL,
        PRIMARY KEY (artifact_id, run_id, task, direction, name));
      CREATE INDEX lineage_by_task ON lineage(run_id, task);
      CREATE TABLE metrics (
        run_id TEXT NOT NULL,
        task TEXT NOT NULL,
        name TEXT NOT NULL,
        value REAL NOT NULL,
        step INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL);
      CREATE INDEX metrics_by_run ON metrics(run_id);
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        task TEXT NOT NULL DEFAULT '',
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '');
      CREATE INDEX events_by_run ON events(run_id);
      CREATE TABLE cache (
        key TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        task TEXT NOT NULL,
        outputs TEXT NOT NULL,
        created_ms INTEGER NOT NULL);
      INSERT INTO experiments(name, description, created_ms) VALUES ('Default', 'runs without an experiment', 0);
      )sql",
      // 2: sweeps (hyperparameter searches) and their trials; a trial's work is a run.
      R"sql(
      CREATE TABLE sweeps (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        file TEXT NOT NULL,
        format TEXT NOT NULL,
        source TEXT NOT NULL,
        backend TEXT NOT NULL,
        state TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        finished_ms INTEGER NOT NULL DEFAULT 0,
        controller_pid INTEGER NOT NULL DEFAULT 0,
        heartbeat_ms INTEGER NOT NULL DEFAULT 0,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '');
      CREATE INDEX sweeps_by_created ON sweeps(created_ms);
      CREATE TABLE trials (
        sweep_id TEXT NOT NULL REFERENCES sweeps(id),
        number INTEGER NOT NULL,
        params TEXT NOT NULL,
        point TEXT NOT NULL,
        run_id TEXT NOT NULL DEFAULT '',
        config INTEGER NOT NULL DEFAULT 0,
        rung INTEGER NOT NULL DEFAULT 0,
        budget REAL NOT NULL DEFAULT 0,
        state TEXT NOT NULL,
        objective REAL,
        metrics TEXT NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL,
        finished_ms INTEGER NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (sweep_id, number));
      )sql",
      // 3: the model registry: registered versions with their lineage and stage history.
      R"sql(
      CREATE TABLE model_versions (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        run_id TEXT NOT NULL DEFAULT '',
        task TEXT NOT NULL DEFAULT '',
        artifact_id INTEGER NOT NULL DEFAULT 0,
        uri TEXT NOT NULL,
        digest TEXT NOT NULL DEFAULT '',
        metrics TEXT NOT NULL DEFAULT '{}',
        reference TEXT NOT NULL DEFAULT '[]',
        stage TEXT NOT NULL DEFAULT 'none',
        created_ms INTEGER NOT NULL,
        stage_changed_ms INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (name, version));
      CREATE TABLE model_stage_events (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        stage TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        at_ms INTEGER NOT NULL);
      CREATE INDEX model_stage_events_by_name ON model_stage_events(name, at_ms);
      )sql",
      // 4: the server: namespaces (Kubeflow's profiles) owning runs, experiments, sweeps and
      //    models; API tokens (only their SHA-256 is kept); recurring runs; and the indexes that
      //    keep the paged run list fast at 100,000 runs.
      R"sql(
      CREATE TABLE namespaces (
        name TEXT PRIMARY KEY,
        created_ms INTEGER NOT NULL);
      INSERT INTO namespaces(name, created_ms) VALUES ('default', 0);
      ALTER TABLE runs ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE runs ADD COLUMN schedule_id TEXT NOT NULL DEFAULT '';
      ALTER TABLE experiments ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE sweeps ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE model_versions ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
      CREATE INDEX runs_by_namespace ON runs(namespace, created_ms, id);
      CREATE INDEX runs_by_namespace_state ON runs(namespace, state, created_ms, id);
      CREATE INDEX runs_by_namespace_experiment ON runs(namespace, experiment, created_ms, id);
      CREATE INDEX runs_by_schedule ON runs(schedule_id, state);
      CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        namespace TEXT NOT NULL REFERENCES namespaces(name),
        admin INTEGER NOT NULL DEFAULT 0,
        description TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE schedules (
        id TEXT PRIMARY KEY,
        namespace TEXT NOT NULL REFERENCES namespaces(name),
        name TEXT NOT NULL,
        pipeline_file TEXT NOT NULL,
        source TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        experiment TEXT NOT NULL DEFAULT 'Default',
        backend TEXT NOT NULL DEFAULT 'local',
        cron TEXT NOT NULL DEFAULT '',
        interval_s INTEGER NOT NULL DEFAULT 0,
        start_ms INTEGER NOT NULL DEFAULT 0,
        max_concurrency INTEGER NOT NULL DEFAULT 1,
        catch_up INTEGER NOT NULL DEFAULT 0,
        no_cache INTEGER NOT NULL DEFAULT 1,
        enabled INTEGER NOT NULL DEFAULT 1,
        last_fired_ms INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        message TEXT NOT NULL DEFAULT '');
      )sql",
      // 5: what Kubeflow Pipelines' REST API names and keeps: experiment ids and archiving; a
      //    run's display name, description and archiving, and the pipeline version it ran;
      //    uploaded pipelines and their versions; a recurring run's description, end time and
      //    trigger as its client wrote it.
      R"sql(
      ALTER TABLE experiments ADD COLUMN id TEXT NOT NULL DEFAULT '';
      ALTER TABLE experiments ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
      UPDATE experiments SET id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
        substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' ||
        hex(randomblob(6)));
      CREATE UNIQUE INDEX experiments_by_id ON experiments(id);
      ALTER TABLE runs ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
      ALTER TABLE runs ADD COLUMN description TEXT NOT NULL DEFAULT '';
      ALTER TABLE runs ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN pipeline_version_id TEXT NOT NULL DEFAULT '';
      CREATE INDEX runs_by_experiment ON runs(experiment, created_ms);
      CREATE TABLE pipelines (
        id TEXT PRIMARY KEY,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        display_name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL,
        UNIQUE (namespace, name));
      CREATE TABLE pipeline_versions (
        id TEXT PRIMARY KEY,
        pipeline_id TEXT NOT NULL REFERENCES pipelines(id),
        name TEXT NOT NULL,
        display_name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL,
        code_source_url TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL,
        UNIQUE (pipeline_id, name));
      CREATE INDEX pipeline_versions_by_pipeline ON pipeline_versions(pipeline_id, created_ms);
      ALTER TABLE schedules ADD COLUMN description TEXT NOT NULL DEFAULT '';
      ALTER TABLE schedules ADD COLUMN end_ms INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE schedules ADD COLUMN pipeline_version_id TEXT NOT NULL DEFAULT '';
      ALTER TABLE schedules ADD COLUMN trigger_as_written TEXT NOT NULL DEFAULT '';
      ALTER TABLE schedules ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;
      )sql",
      // 6: population-based training: the trial whose checkpoint a trial starts from; a
      //    finished sweep continued with a larger trial budget (0: its file's).
      R"sql(
      ALTER TABLE trials ADD COLUMN parent INTEGER NOT NULL DEFAULT -1;
      ALTER TABLE sweeps ADD COLUMN max_trials INTEGER NOT NULL DEFAULT 0;
      )sql",
  };
  return kMigrations;
}

int schema_version(Db& db) {
  Stmt& s = db.prepare("PRAGMA user_version");
  int v = s.step() ? static_cast<int>(s.integer(0)) : 0;
  s.reset();
  return v;
}

Status migrate(Db& db, int target) {
  const auto& m = schema_migrations();
  int want = target < 0 ? static_cast<int>(m.size()) : target;
  SLIPWAY_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  int have = schema_version(db);
  if (have > static_cast<int>(m.size())) {
    (void)db.exec("ROLLBACK");  // safe: nothing was written; the version error is reported
    return Failed("the store's schema version " + std::to_string(have) +
                  " is newer than this slipway understands (" + std::to_string(m.size()) +
                  "); upgrade slipway or point SLIPWAY_HOME elsewhere");
  }
  for (int v = have; v < want; ++v) {
    Status st = db.exec(m[static_cast<size_t>(v)]);
    if (!st.ok()) {
      (void)db.exec("ROLLBACK");  // safe: the migration's own error is the one to report
      return Failed("migration " + std::to_string(v + 1) + " failed: " + st.message());
    }
  }
  Status done = want > have ? db.exec("PRAGMA user_version = " + std::to_string(want)) : Status();
  if (done.ok()) done = db.exec("COMMIT");
  if (!done.ok() && !sqlite3_get_autocommit(db.raw()))
    (void)db.exec("ROLLBACK");  // safe: the write's own error is the one to report
  return done;
}

}  // namespace slipway::store
