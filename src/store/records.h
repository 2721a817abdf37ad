// Rows of the store, as plain structs. States are strings in the database so a person reading it
// with sqlite3 understands it; the engine converts them to enums.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace slipway::store {

struct RunRecord {
  std::string id;
  std::string experiment = "Default";
  std::string pipeline;
  std::string pipeline_file;
  std::string format;
  std::string source;  // the pipeline file's text, so resume does not depend on it
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json options = nlohmann::json::object();  // no_cache, ...
  std::string state;                                  // PENDING RUNNING SUCCEEDED FAILED CANCELLED
  std::string backend = "local";
  std::string root;  // run root: artifacts and logs
  std::int64_t created_ms = 0, started_ms = 0, finished_ms = 0;
  std::int64_t driver_pid = 0;
  std::string driver_host;
  std::int64_t heartbeat_ms = 0;
  bool cancel_requested = false;
  std::string message;
  std::string ns = "default";  // the namespace (profile) that owns the run
  std::string schedule_id;     // the recurring run that started it, if any
  // What Kubeflow Pipelines' API keeps of a run: the name a person gave it, a description,
  // whether it is archived (hidden from default lists, kept whole), the pipeline version it ran.
  std::string display_name, description;
  bool archived = false;
  std::string pipeline_version_id;
};

struct TaskRecord {
  std::string run_id;
  std::string name;   // "train" or "train[3]" for a fan-out item
  std::string templ;  // the pipeline task it instantiates
  int item_index = -1;
  std::string state;  // PENDING RUNNING SUCCEEDED FAILED SKIPPED UPSTREAM_FAILED CANCELLED
  bool cached = false;
  int attempts = 0;
  std::string cache_key;
  std::int64_t started_ms = 0, finished_ms = 0;
  nlohmann::json outputs = nlohmann::json::object();
  std::string message;
  std::string backend_id;
  int seq = 0;  // display order
};

struct AttemptRecord {
  std::string run_id;
  std::string task;
  int number = 0;
  std::string state;  // RUNNING SUCCEEDED FAILED TIMEOUT CANCELLED LOST
  std::int64_t pid = 0;
  std::string backend_id;
  std::optional<int> exit_code;
  std::int64_t started_ms = 0, finished_ms = 0;
  std::string log_path;
  std::string message;
};

struct ArtifactRecord {
  std::int64_t id = 0;
  std::string run_id;
  std::string task;
  std::string name;
  std::string type;
  std::string uri;
  std::string sha256;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  nlohmann::json metadata = nlohmann::json::object();
  std::int64_t created_ms = 0;
};

struct LineageEdge {
  std::int64_t artifact_id = 0;
  std::string run_id;
  std::string task;
  std::string direction;  // input | output
  std::string name;
};

struct MetricRecord {
  std::string run_id;
  std::string task;
  std::string name;
  double value = 0;
  std::int64_t step = 0;
};

struct CacheEntry {
  std::string key;
  std::string run_id;
  std::string task;
  nlohmann::json outputs;
};

// A hyperparameter sweep; its definition is kept as text, so resume does not depend on the file.
struct SweepRecord {
  std::string id, name, file, format, source;
  std::string backend = "local";
  std::string state;  // RUNNING SUCCEEDED FAILED CANCELLED
  std::int64_t created_ms = 0, finished_ms = 0;
  std::int64_t controller_pid = 0, heartbeat_ms = 0;
  bool cancel_requested = false;
  std::string message;
  std::string ns = "default";
  int max_trials = 0;  // a continued sweep's trial budget; 0: its file's
};

// One trial of a sweep: its parameter values, its point in the search's unit cube, the run that
// does its work, and what it reported.
struct TrialRecord {
  std::string sweep_id;
  int number = 0;
  nlohmann::json params = nlohmann::json::object();
  std::vector<double> point;
  std::string run_id;
  // Multi-fidelity sweeps (asha, hyperband): the configuration this trial trains (the trials of
  // one configuration continue each other), its rung, and its budget (e.g. training steps).
  // Population-based training (pbt) reads the same fields as a population: `config` is the
  // member, `rung` its generation, and `parent` the trial whose checkpoint this one starts from
  // (its member's previous generation, or a better member's it exploits; -1: none).
  int config = 0, rung = 0;
  double budget = 0;
  int parent = -1;
  std::string state;  // PENDING RUNNING SUCCEEDED FAILED EARLY_STOPPED CANCELLED
  std::optional<double> objective;
  nlohmann::json metrics = nlohmann::json::object();  // name → the value its strategy picked
  std::int64_t created_ms = 0, finished_ms = 0;
  std::string message;

  bool active() const { return state == "PENDING" || state == "RUNNING"; }
  // Finished with an objective value a sampler can learn from.
  bool has_result() const {
    return (state == "SUCCEEDED" || state == "EARLY_STOPPED") && objective.has_value();
  }
};

// A registered model version: where its files are (a model repository directory), what produced
// it (run, task, artifact: its lineage), how it scored, its training data's reference statistics
// (drift monitoring), and its stage: none, staging, production or archived.
struct ModelVersionRecord {
  std::string name;
  int version = 0;
  std::string run_id, task;
  std::int64_t artifact_id = 0;  // 0: not an artifact of a run in this store
  std::string uri, digest;
  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json reference = nlohmann::json::array();
  std::string stage = "none";
  std::int64_t created_ms = 0, stage_changed_ms = 0;
  std::string ns = "default";
};

// One change of a version's stage, for the history and for rollback.
struct StageEvent {
  std::string name;
  int version = 0;
  std::string stage, reason;
  std::int64_t at_ms = 0;
};

// A recurring run: a pipeline (kept as text, like a run's), its parameters, and when it fires —
// a cron expression or a fixed interval — with how many of its runs may be active at once and
// whether ticks missed while no server was running are caught up.
struct ScheduleRecord {
  std::string id, ns = "default", name;
  std::string pipeline_file, source;
  nlohmann::json params = nlohmann::json::object();
  std::string experiment = "Default", backend = "local";
  std::string cron;  // "" for an interval schedule
  std::int64_t interval_s = 0, start_ms = 0;
  int max_concurrency = 1;
  bool catch_up = false, enabled = true;
  bool no_cache = true;  // a recurring run exists to run again: its tasks skip the cache
  std::int64_t last_fired_ms = 0, created_ms = 0;
  std::string message;  // why the last tick did not fire, if it did not
  std::string description;
  std::int64_t end_ms = 0;  // no tick fires after this (0: no end)
  std::string pipeline_version_id;
  // The trigger as its client wrote it (KFP's six-field cron with seconds), shown back verbatim.
  std::string trigger_as_written;
  std::int64_t updated_ms = 0;
};

// A pipeline uploaded for later runs (Kubeflow Pipelines' pipelines): a name unique in its
// namespace, and versions, each the pipeline's text.
struct PipelineRecord {
  std::string id, ns = "default", name, display_name, description;
  std::int64_t created_ms = 0;
};

struct PipelineVersionRecord {
  std::string id, pipeline_id, name, display_name, description;
  std::string source;  // the compiled pipeline's text
  std::string code_source_url;
  std::int64_t created_ms = 0;
};

// An API token's record; the token itself is shown once and only its SHA-256 is kept.
struct TokenRecord {
  std::string id, ns;
  bool admin = false;  // sees and changes every namespace
  std::string description;
  std::int64_t created_ms = 0, revoked_ms = 0;
};

}  // namespace slipway::store
