// Running a sweep: suggest points, turn each into a trial run (one task running the trial's
// command, on the sweep's backend, through the ordinary run driver), read what the trials report,
// stop bad ones early, and finish on the goal, the trial budget, the failure budget, an exhausted
// grid or a cancel. Every decision is in the store first, so a controller killed at any moment
// resumes from the store: finished trials are kept, running ones are found again (their drivers
// restarted if they died too), and the sampler suggests what it would have.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/store.h"
#include "tune/asha.h"
#include "tune/metrics_collector.h"
#include "tune/pbt.h"
#include "tune/sampler.h"
#include "tune/sweep_spec.h"
#include "tune/tf_events.h"

namespace slipway::tune {

struct SweepSummary {
  std::string state;  // SUCCEEDED FAILED CANCELLED
  std::string message;
  int best_trial = -1;
};

struct ControllerHooks {
  // Starts the driver of a trial's run in the background (resume: a driver died mid-run).
  std::function<Status(const std::string& run_id, bool resume)> start_driver;
  // Called after every poll with the current trials (a progress line, a live table).
  std::function<void(const std::vector<store::TrialRecord>&)> on_progress;
  // A line for the user about one trial (started, finished, stopped, failed).
  std::function<void(const std::string&)> say;
  // True when the user asked to stop (Ctrl-C): the sweep is cancelled as by `sweep cancel`.
  std::function<bool()> should_stop;
  int poll_ms = 500;
};

class SweepController {
 public:
  SweepController(store::Store& store, store::SweepRecord sweep, SweepSpec spec,
                  ControllerHooks hooks);
  Result<SweepSummary> run();

 private:
  Status start_trials(int n);
  std::vector<Observation> history() const;
  void set_budget(store::TrialRecord& t, double budget) const;
  Status update(store::TrialRecord& t);
  Result<store::RunRecord> create_trial_run(const store::TrialRecord& t);
  // A pbt trial's checkpoint directory, made (a copy of its parent's) before its run exists.
  Result<std::string> pbt_checkpoint_dir(const store::TrialRecord& t) const;
  MetricSeries metrics_of(const store::TrialRecord& t);
  // The sweep's own folder ($SLIPWAY_HOME/sweeps/ID): checkpoints and per-trial files.
  std::filesystem::path sweep_dir() const;
  std::string metrics_path(const store::TrialRecord& t) const;
  // Both persist before they report: an error means the trial's new state is not in the store.
  Status finish_trial(store::TrialRecord& t, const std::string& state, const std::string& message);
  Status cancel_running(const std::string& why);
  bool better(double a, double b) const { return spec_.objective.maximize ? a > b : a < b; }
  int best_trial() const;

  store::Store& store_;
  store::SweepRecord sweep_;
  SweepSpec spec_;
  ControllerHooks hooks_;
  std::unique_ptr<Sampler> sampler_;
  std::optional<Asha> asha_;  // asha and hyperband
  std::optional<Pbt> pbt_;
  std::vector<store::TrialRecord> trials_;
  std::map<int, MetricsTail> tails_;      // by trial number: what its log held at the last poll
  std::map<int, TfEventsTail> tf_tails_;  // by trial number: its tfevents files, as far as read
  std::vector<std::vector<double>>
      completed_curves_;  // objective series of finished trials, for median stopping
};

// The one-task pipeline a trial runs (native, as JSON, which is YAML): `cmd` in the sweep file's
// directory with the trial's resources, env and timeout.
Json trial_pipeline(const SweepSpec& spec, int number, const std::vector<std::string>& cmd);

// The text a trial's run is read from: that pipeline, or a training job trial's document (`cmd`
// holds it, substituted).
std::string trial_source(const SweepSpec& spec, int number, const std::vector<std::string>& cmd);

// The sweep's trials and best trial as a document (`slipway sweep show --output json`).
Json sweep_document(const store::SweepRecord& sweep, const SweepSpec& spec,
                    const std::vector<store::TrialRecord>& trials);

}  // namespace slipway::tune
