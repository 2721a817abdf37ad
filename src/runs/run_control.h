// Operations on runs that the CLI and the server share: creating a run from a pipeline's text,
// starting its driver in the background, and cancelling it. They print nothing; errors come back
// as a Status that says what was wrong.
#pragma once

#include <map>
#include <string>

#include "store/store.h"

namespace slipway::runs {

struct NewRun {
  std::string source;  // the pipeline file's text (native YAML or KFP IR)
  std::string file;    // its name, for diagnostics and relative paths
  nlohmann::json params = nlohmann::json::object();  // NAME → value; strings are parsed by type
  std::string experiment = "Default";
  std::string backend = "local";
  std::string ns = "default";
  std::string schedule_id;
  std::int64_t scheduled_ms = 0;  // the schedule's tick this run is for; kept in its options
  bool no_cache = false;
  std::string container_runtime;          // "", apptainer or singularity
  std::string display_name, description;  // as Kubeflow Pipelines' clients name runs
  std::string pipeline_version_id;        // the uploaded pipeline version it runs, if any
};

// Parses and validates a pipeline's text (an upload kept for later runs): its name, or
// InvalidInput with every diagnostic.
Result<std::string> check_pipeline(const std::string& source, const std::string& file);

// Parses and validates the pipeline, resolves its parameters, checks that each task fits the
// backend, and inserts the run as PENDING. InvalidInput carries every diagnostic.
Result<store::RunRecord> create_run(store::Store& store, const NewRun& spec, std::int64_t now);

// A recurring run: the run's fields plus when it fires. Exactly one of cron and every.
struct NewSchedule {
  NewRun run;
  std::string name;
  std::string cron;           // five-field cron expression or @hourly..@yearly, UTC
  std::string every;          // an interval: "90s", "15m", "1h"
  std::int64_t start_ms = 0;  // interval ticks count from here (default: now)
  int max_concurrency = 1;
  bool catch_up = false;
  bool enabled = true;
  std::int64_t end_ms = 0;  // no tick after this (0: none)
  std::string description;
  std::string trigger_as_written;  // kept to show back (a KFP client's six-field cron)
};

// Validates the pipeline, its parameters and the trigger, and stores the schedule.
Result<store::ScheduleRecord> create_schedule(store::Store& store, const NewSchedule& s,
                                              std::int64_t now);

// The run a schedule fires for its tick at tick_ms: the schedule's pipeline, parameters and
// settings, the run marked with the schedule and the tick (what ScheduleRunner launches).
Result<store::RunRecord> create_scheduled_run(store::Store& store, const store::ScheduleRecord& s,
                                              std::int64_t tick_ms, std::int64_t now);

// A schedule as the CLI's --output json and the API show it, with its next fire time.
nlohmann::json schedule_json(const store::ScheduleRecord& s, std::int64_t now);

// How a background driver is started: `slipway __driver RUN [--resume|--retry]`. The CLI's
// start_detached_driver forks a daemon; a multi-threaded server spawns it and reaps it itself.
enum class DriveMode { kStart, kResume, kRetry };
std::vector<std::string> driver_args(const std::string& run_id, DriveMode mode);
// posix_spawn of the driver in its own session, logging to the run root's driver.log. The pid is
// remembered so that reap_drivers() (called periodically by the server) collects its exit.
Result<int> spawn_driver(const store::RunRecord& run, DriveMode mode);
void reap_drivers();

// Asks the run's driver to cancel; if no live driver holds the run, stops what the backend still
// runs of it and marks it CANCELLED here. Waits up to wait_ms for the driver. Returns the state.
Result<std::string> cancel_run(store::Store& store, const store::RunRecord& run, int wait_ms);

bool terminal_run_state(const std::string& s);

}  // namespace slipway::runs
