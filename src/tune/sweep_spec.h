// A sweep (a hyperparameter search): what to optimize, over which space, with which algorithm,
// how many trials at once and in all, and the command a trial runs. Read from slipway's compact
// native format or from Katib's Experiment (kubeflow.org/v1beta1) as is; docs/sweeps.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "tune/search_space.h"

namespace slipway::tune {

struct Objective {
  bool maximize = false;
  std::string metric;                     // the objective metric
  std::vector<std::string> additional;    // recorded, and objectives of a multi-objective sweep
  std::vector<bool> additional_maximize;  // per additional metric, for the Pareto front
  bool multi_objective = false;           // optimize the Pareto front over metric + additional
  std::map<std::string, std::string>
      strategy;                // metric → min | max | latest: which reported value counts
  std::optional<double> goal;  // stop the sweep once the objective reaches it
  std::string strategy_of(const std::string& name) const;
};

struct Algorithm {
  std::string name =
      "random";  // random grid sobol tpe multivariate-tpe bayesianoptimization hyperband asha
  std::map<std::string, std::string> settings;  // Katib's algorithmSettings, by name
  std::string setting(const std::string& key, const std::string& fallback) const;
};

struct EarlyStopping {
  std::string name;  // "" or medianstop
  int min_trials_required = 3;
  std::int64_t start_step = 4;  // reports before a trial may be stopped
};

struct MetricsCollector {
  std::string kind = "StdOut";  // StdOut, File or TensorFlowEvent
  // File: read this file; TensorFlowEvent: the tfevents files under this directory. Relative to
  // the trial's directory; in Katib's format an absolute path that the trial's command names is
  // where Katib's collector reads it inside the pod, and becomes a path of the trial's own
  // (per_trial_copy).
  std::string path;
  // Set when the sweep is read: the path is a Katib container path the trial's command names
  // (say --log-path=/var/log/katib/metrics.log). On a host, parallel trials would share that one
  // path, so each trial gets its own copy of it (the extra "metrics_path"), in its command and
  // for its collector.
  bool per_trial_copy = false;
  std::string format = "TEXT";       // TEXT (name=value) or JSON (one object per line)
  std::vector<std::string> regexes;  // TEXT: groups 1 and 2 are name and value
  // Katib's Custom collector, read as a File collector of its source file: its image, which is
  // not run (the sweep says so when it starts).
  std::string custom_image;
};

struct TrialTemplate {
  std::vector<std::string> command;  // ${trialParameters.x} (Katib) or ${x} (native) substituted
  // Katib's trialParameters: the name used in the command → the search parameter it refers to,
  // or trial metadata (${trialSpec.Name}, ${trialSpec.Namespace}, ${trialSpec.Kind},
  // ${trialSpec.APIVersion}, ${trialSpec.Labels[key]}, ${trialSpec.Annotations[key]}).
  std::map<std::string, std::string> references;
  // The metadata known when the sweep is read, by reference; ${trialSpec.Name} is the trial's
  // run id, given per trial as the extra "trial_name".
  std::map<std::string, std::string> metadata;
  Json resources =
      Json::object();  // a pipeline task's resources (cpus, memory, gpus, nodes, tasks_per_node)
  std::map<std::string, std::string> env;
  std::string workdir;               // where the command runs: the sweep file's directory
  std::int64_t timeout_seconds = 0;  // 0: none
  // A trialSpec that is a training job (PyTorchJob, TFJob, MPIJob, TrainJob...): its YAML with
  // the placeholders left in, run through the job front door as a whole (every replica, its
  // operator's variables) rather than as its first container; `command` is then empty.
  std::string job_document;
  // The document is a slipway pipeline (an Argo Workflow's steps, argo_trial.h), read as one;
  // `task` is then its step whose output holds the metrics.
  bool document_is_pipeline = false;
  std::string task = "trial";  // the trial pipeline's task, whose output the collector reads
};

struct SweepSpec {
  std::string name;
  std::string format;  // native or katib
  Objective objective;
  Algorithm algorithm;
  SearchSpace space;
  int parallel = 3, max_trials = 12, max_failed = 3;
  std::uint64_t seed = 1;
  // Katib's resumePolicy: whether a sweep that ran all its trials can be continued with a larger
  // budget (`slipway sweep resume SWEEP --max-trials N`, Katib's restart by raising
  // maxTrialCount). Never (Katib's default) refuses; LongRunning and FromVolume allow it — in
  // Katib they differ in how the suggestion service's state survives (a running deployment, a
  // volume), and here that state is the store, which always survives. A sweep whose controller
  // died resumes under any policy. Native sweeps are LongRunning.
  std::string resume_policy = "Never";
  TrialTemplate trial;
  EarlyStopping early_stopping;
  MetricsCollector collector;
  // Multi-fidelity (hyperband, asha): the budget a trial gets is `resource` (a search parameter,
  // e.g. steps) between min_resource and max_resource, growing by eta per rung.
  std::string resource;
  double min_resource = 0, max_resource = 0, eta = 3;
};

// Reads either format (Katib's is recognized by apiVersion kubeflow.org/...), validates it, and
// fills defaults. `file` names the source in messages and anchors relative paths.
Result<SweepSpec> parse_sweep(const std::string& yaml_text, const std::string& file);
Result<SweepSpec> load_sweep(const std::string& path);

// The command of one trial: placeholders replaced by the trial's values, and by `extras` (native
// ${checkpoint_dir}: a directory the trials of one configuration share, so a promoted trial of an
// asha or hyperband sweep resumes where its configuration stopped).
// The extras a trial command of this sweep takes, with stand-in values: to check a command before
// any trial exists.
std::map<std::string, std::string> probe_extras(const SweepSpec& s);

// (For a training job trial, the one element is its document, substituted.)
Result<std::vector<std::string>> trial_command(
    const SweepSpec& s, const Json& values, const std::map<std::string, std::string>& extras = {});

}  // namespace slipway::tune
