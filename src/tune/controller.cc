#include "tune/controller.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "core/clock.h"
#include "core/files.h"
#include "tune/early_stopping.h"
#include "tune/pareto.h"
#include "tune/sampler.h"
#include "tune/tf_events.h"

namespace slipway::tune {

namespace fs = std::filesystem;

namespace {

bool terminal_run(const std::string& s) {
  return s == "SUCCEEDED" || s == "FAILED" || s == "CANCELLED";
}

bool process_alive(std::int64_t pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

}  // namespace

SweepController::SweepController(store::Store& store, store::SweepRecord sweep, SweepSpec spec,
                                 ControllerHooks hooks)
    : store_(store), sweep_(std::move(sweep)), spec_(std::move(spec)), hooks_(std::move(hooks)) {}

int SweepController::best_trial() const {
  int best = -1;
  for (size_t i = 0; i < trials_.size(); ++i)
    if (trials_[i].has_result() &&
        (best < 0 || better(*trials_[i].objective, *trials_[static_cast<size_t>(best)].objective)))
      best = static_cast<int>(i);
  return best;
}

std::filesystem::path SweepController::sweep_dir() const {
  return store_.home() / "sweeps" / sweep_.id;
}

// A Katib container path of the collector, as this trial's own: under the sweep's folder for the
// trial, at the same path.
std::string SweepController::metrics_path(const store::TrialRecord& t) const {
  return (sweep_dir() / ("trial-" + std::to_string(t.number) + "-files") /
          fs::path(spec_.collector.path).relative_path())
      .string();
}

MetricSeries SweepController::metrics_of(const store::TrialRecord& t) {
  auto attempts = store_.list_attempts(t.run_id, spec_.trial.task);
  if (attempts.empty()) return {};
  fs::path p = attempts.back().log_path;
  if (spec_.collector.kind != "StdOut") {
    // A relative path is inside the trial's own directory ($SLIPWAY_TRIAL_DIR), so parallel trials
    // never share it.
    fs::path file = spec_.collector.path;
    p = spec_.collector.per_trial_copy ? fs::path(metrics_path(t))
        : file.is_relative()           ? p.parent_path() / file
                                       : file;
  }
  if (spec_.collector.kind == "TensorFlowEvent") {
    std::vector<std::string> names = spec_.objective.additional;
    names.insert(names.begin(), spec_.objective.metric);
    TfEventsTail& tail = tf_tails_[t.number];
    const bool had_problem = !tail.problem().empty();
    MetricSeries series = tail.read(p.string(), names);
    if (!had_problem && !tail.problem().empty() && hooks_.say)
      hooks_.say("trial " + std::to_string(t.number) + ": " + tail.problem() +
                 "; its records from there on are not read");
    return series;
  }
  return tails_[t.number].read(p.string(), spec_.collector);
}

Status SweepController::finish_trial(store::TrialRecord& t, const std::string& state,
                                     const std::string& message) {
  t.state = state;
  t.message = message;
  t.finished_ms = now_ms();
  SLIPWAY_RETURN_IF_ERROR(store_.upsert_trial(t));
  std::string line = "trial " + std::to_string(t.number) + " " + state;
  if (t.objective) line += " " + spec_.objective.metric + "=" + SearchSpace::format(*t.objective);
  for (const auto& [k, v] : t.params.items()) line += " " + k + "=" + SearchSpace::format(v);
  if (!message.empty() && state != "SUCCEEDED") line += " (" + message + ")";
  if (hooks_.say) hooks_.say(line);
  return Status::Ok();
}

Status SweepController::update(store::TrialRecord& t) {
  auto run = store_.get_run(t.run_id);
  if (!run.ok()) {
    if (run.status().code() != ErrorCode::kNotFound) return run.status();
    // A trial is stored before its run; a controller stopped in between (kill -9, a store that
    // failed) leaves it PENDING with no run, and start_trials() creates the run.
    if (t.state == "PENDING") return Status::Ok();
    return finish_trial(t, "FAILED", "its run " + t.run_id + " is gone from the store");
  }
  MetricSeries series = metrics_of(t);
  const std::string& metric = spec_.objective.metric;
  Json metrics = Json::object();
  std::vector<std::string> names = spec_.objective.additional;
  names.insert(names.begin(), metric);
  for (const auto& name : names)
    if (auto v = pick(series[name], spec_.objective.strategy_of(name))) metrics[name] = *v;
  t.metrics = metrics;
  t.objective = pick(series[metric], spec_.objective.strategy_of(metric));
  if (terminal_run(run->state)) {
    if (run->state == "SUCCEEDED") {
      if (!t.objective) {
        return finish_trial(t, "FAILED",
                            "the trial finished without reporting " + metric + "; print '" +
                                metric + "=VALUE' lines on standard output");
      } else if (!std::isfinite(*t.objective)) {
        // A diverged run reports nan or inf (a tfevents scalar, a JSON string): no sampler can rank
        // it, and the models would turn it into nan everywhere. It fails, as Optuna fails a trial
        // whose value is nan, and counts against max_failed.
        return finish_trial(t, "FAILED",
                            "the trial reported " + metric + " = " +
                                (std::isnan(*t.objective) ? std::string("nan")
                                 : *t.objective > 0       ? "inf"
                                                          : "-inf") +
                                ", which no search can rank; it counts as a failed trial");
      } else {
        completed_curves_.push_back(series[metric]);
        return finish_trial(t, "SUCCEEDED", "");
      }
    } else if (run->state == "FAILED") {
      return finish_trial(t, "FAILED",
                          run->message.empty()
                              ? "its run failed (slipway runs show " + run->id + ")"
                              : run->message);
    } else {
      return finish_trial(t, "CANCELLED", "its run was cancelled");
    }
  }
  if (t.state == "PENDING" && run->state == "RUNNING") {
    t.state = "RUNNING";
    SLIPWAY_RETURN_IF_ERROR(store_.upsert_trial(t));
  }
  // A driver that died (kill -9, a crashed node) leaves its run behind: start another on it.
  const std::int64_t now = now_ms();
  bool stale = run->driver_pid == 0
                   ? now - run->created_ms > 15'000 && run->heartbeat_ms == 0
                   : !process_alive(run->driver_pid) && now - run->heartbeat_ms > 2'000;
  if (stale && hooks_.start_driver) {
    if (hooks_.say)
      hooks_.say("trial " + std::to_string(t.number) + ": its driver is gone; resuming run " +
                 run->id);
    SLIPWAY_RETURN_IF_ERROR(hooks_.start_driver(run->id, true));
  }
  if (median_stop(series[metric], completed_curves_, spec_.early_stopping,
                  spec_.objective.maximize)) {
    SLIPWAY_RETURN_IF_ERROR(store_.request_cancel(run->id));
    SLIPWAY_RETURN_IF_ERROR(finish_trial(t, "EARLY_STOPPED",
                                         "below the median of completed trials after " +
                                             std::to_string(series[metric].size()) + " reports"));
  }
  return store_.upsert_trial(t);
}

Result<store::RunRecord> SweepController::create_trial_run(const store::TrialRecord& t) {
  std::map<std::string, std::string> extras{{"trial_name", t.run_id}};
  if (asha_)
    extras["checkpoint_dir"] = (sweep_dir() / ("config-" + std::to_string(t.config))).string();
  if (pbt_) {
    auto dir = pbt_checkpoint_dir(t);
    if (!dir.ok()) return dir.status();
    extras["checkpoint_dir"] = *dir;
  }
  if (spec_.collector.per_trial_copy) {
    // The trial writes where Katib would have mounted a volume: the folder must be there.
    const std::string path = metrics_path(t);
    const fs::path folder =
        spec_.collector.kind == "File" ? fs::path(path).parent_path() : fs::path(path);
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec)
      return Failed("cannot make trial " + std::to_string(t.number) + "'s folder " +
                    folder.string() + " for its metrics: " + ec.message());
    extras["metrics_path"] = path;
  }
  auto cmd = trial_command(spec_, t.params, extras);
  if (!cmd.ok()) return cmd.status();
  store::RunRecord run;
  run.id = t.run_id;
  run.experiment = "sweep:" + spec_.name;
  run.pipeline = spec_.name + "-trial-" + std::to_string(t.number);
  run.pipeline_file = sweep_.file;
  run.format = spec_.trial.job_document.empty() || spec_.trial.document_is_pipeline
                   ? "native"
                   : spec_.trial.task;
  run.source = trial_source(spec_, t.number, *cmd);
  run.params = Json::object();
  run.options = {{"no_cache", true}, {"sweep", sweep_.id}, {"trial", t.number}};
  run.state = "PENDING";
  run.backend = sweep_.backend;
  run.root = (store_.home() / "runs" / run.id).string();
  run.created_ms = now_ms();
  SLIPWAY_RETURN_IF_ERROR(store_.insert_run(run));
  return run;
}

Result<std::string> SweepController::pbt_checkpoint_dir(const store::TrialRecord& t) const {
  const fs::path dir = sweep_dir() / ("trial-" + std::to_string(t.number));
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return dir.string();  // made before a crash: keep it
  // Copied under another name and renamed, so a crash mid-copy leaves no half checkpoint.
  const fs::path partial = sweep_dir() / ("trial-" + std::to_string(t.number) + ".partial");
  fs::remove_all(partial, ec);
  fs::create_directories(partial, ec);
  const fs::path parent = sweep_dir() / ("trial-" + std::to_string(t.parent));
  if (!ec && t.parent >= 0 && fs::is_directory(parent))
    fs::copy(parent, partial, fs::copy_options::recursive, ec);
  if (!ec) fs::rename(partial, dir, ec);
  if (ec)
    return Failed("cannot prepare trial " + std::to_string(t.number) + "'s checkpoint directory " +
                  dir.string() +
                  (t.parent >= 0 ? " from trial " + std::to_string(t.parent) + "'s" : "") + ": " +
                  ec.message());
  return dir.string();
}

std::vector<Observation> SweepController::history() const {
  std::vector<Observation> h;
  if (asha_ && !spec_.objective.multi_objective)
    return multi_fidelity_history(trials_, spec_.objective.maximize, spec_.space.dims());
  // Several objectives: a trial's loss is its non-domination rank (the front is best).
  std::vector<int> ranks =
      spec_.objective.multi_objective ? pareto_ranks(spec_.objective, trials_) : std::vector<int>{};
  for (size_t i = 0; i < trials_.size(); ++i) {
    const store::TrialRecord& t = trials_[i];
    if (!ranks.empty()) {
      if (ranks[i] >= 0)
        h.push_back({t.point, static_cast<double>(ranks[i]), true});
      else if (t.active())
        h.push_back({t.point, 0.0, false});
      continue;
    }
    if (t.has_result())
      h.push_back({t.point, spec_.objective.maximize ? -*t.objective : *t.objective, true});
    else if (t.active())
      h.push_back({t.point, 0.0, false});
  }
  return h;
}

// A multi-fidelity trial's budget goes into its budget parameter, whatever the sampler drew there.
void SweepController::set_budget(store::TrialRecord& t, double budget) const {
  t.budget = budget;
  for (size_t i = 0; i < spec_.space.params.size(); ++i) {
    const ParamSpec& p = spec_.space.params[i];
    if (p.name != spec_.resource) continue;
    Json v = p.kind == ParamKind::kInt ? Json(static_cast<std::int64_t>(std::llround(budget)))
                                       : Json(budget);
    t.params[p.name] = v;
    if (i < t.point.size()) t.point[i] = spec_.space.unit_of(p, v);
  }
}

Status SweepController::start_trials(int n) {
  for (int k = 0; k < n; ++k) {
    store::TrialRecord t;
    t.sweep_id = sweep_.id;
    t.number = static_cast<int>(trials_.size());
    t.state = "PENDING";
    t.created_ms = now_ms();
    t.run_id = sweep_.id + "-t" + std::to_string(t.number);
    t.config = t.number;
    if (pbt_) {
      std::optional<PbtStep> next = pbt_->next(trials_, spec_.objective.maximize);
      if (!next) break;  // the next generation waits for this one
      t.config = next->member;
      t.rung = next->generation;
      t.parent = next->parent;
      if (next->fresh) {
        auto points = sampler_->suggest(history(), 1);
        if (points.empty()) break;
        t.point = points[0];
        t.params = spec_.space.decode(t.point);
      } else {
        t.params = next->params;
        t.point = spec_.space.encode(t.params);
      }
      SLIPWAY_RETURN_IF_ERROR(store_.upsert_trial(t));
      trials_.push_back(t);
      continue;
    }
    std::optional<AshaStep> step;
    if (asha_) {
      int next_config = 0;
      for (const auto& x : trials_) next_config = std::max(next_config, x.config + 1);
      step = asha_->next(trials_, spec_.objective.maximize, next_config);
      t.config = next_config;
    }
    if (step && step->promote) {
      const store::TrialRecord& parent = trials_[*step->promote];
      t.params = parent.params;
      t.point = parent.point;
      t.config = parent.config;
    } else {
      auto points = sampler_->suggest(history(), 1);
      if (points.empty()) break;
      t.point = points[0];
      t.params = spec_.space.decode(t.point);
    }
    if (step) {
      t.rung = step->rung;
      set_budget(t, step->budget);
    }
    // The trial is in the store before its run exists: a controller killed in between finds the
    // trial PENDING with no run and creates it on resume.
    SLIPWAY_RETURN_IF_ERROR(store_.upsert_trial(t));
    trials_.push_back(t);
  }
  for (auto& t : trials_) {
    if (t.state != "PENDING" || store_.get_run(t.run_id).ok()) continue;
    auto run = create_trial_run(t);
    if (!run.ok()) return run.status();
    if (hooks_.say) {
      std::string line = "trial " + std::to_string(t.number) + " started";
      if (asha_)
        line += " (configuration " + std::to_string(t.config) + ", rung " + std::to_string(t.rung) +
                ")";
      if (pbt_)
        line += " (member " + std::to_string(t.config) + ", generation " + std::to_string(t.rung) +
                (t.parent >= 0 ? ", from trial " + std::to_string(t.parent) : std::string()) + ")";
      for (const auto& [k, v] : t.params.items()) line += " " + k + "=" + SearchSpace::format(v);
      hooks_.say(line);
    }
    if (hooks_.start_driver) SLIPWAY_RETURN_IF_ERROR(hooks_.start_driver(run->id, false));
  }
  return Status::Ok();
}

Status SweepController::cancel_running(const std::string& why) {
  for (auto& t : trials_)
    if (t.active()) {
      SLIPWAY_RETURN_IF_ERROR(store_.request_cancel(t.run_id));
      SLIPWAY_RETURN_IF_ERROR(finish_trial(t, "CANCELLED", why));
    }
  return Status::Ok();
}

Result<SweepSummary> SweepController::run() {
  auto sampler = make_sampler(spec_);  // refuse an unusable algorithm before anything starts
  if (!sampler.ok()) return sampler.status();
  sampler_ = std::move(*sampler);
  if (spec_.algorithm.name == "asha" || spec_.algorithm.name == "hyperband") asha_.emplace(spec_);
  if (spec_.algorithm.name == "pbt") {
    auto settings = pbt_settings(spec_);
    if (!settings.ok()) return settings.status();
    pbt_.emplace(spec_, std::move(*settings));
  }
  trials_ = store_.list_trials(sweep_.id);
  for (const auto& t : trials_)
    if (t.state == "SUCCEEDED") completed_curves_.push_back(metrics_of(t)[spec_.objective.metric]);
  SweepSummary summary;
  auto finish = [&](const std::string& state, const std::string& message) -> Result<SweepSummary> {
    summary.state = state;
    summary.message = message;
    summary.best_trial = best_trial();
    SLIPWAY_RETURN_IF_ERROR(store_.update_sweep_state(sweep_.id, state, message, now_ms()));
    if (hooks_.on_progress) hooks_.on_progress(trials_);
    return summary;
  };
  SLIPWAY_RETURN_IF_ERROR(store_.update_sweep_state(sweep_.id, "RUNNING", "", 0));
  while (true) {
    SLIPWAY_RETURN_IF_ERROR(store_.sweep_heartbeat(sweep_.id, getpid(), now_ms()));
    auto rec = store_.get_sweep(sweep_.id);
    if ((rec.ok() && rec->cancel_requested) || (hooks_.should_stop && hooks_.should_stop())) {
      SLIPWAY_RETURN_IF_ERROR(cancel_running("the sweep was cancelled"));
      return finish("CANCELLED", "cancelled");
    }
    for (auto& t : trials_)
      if (t.active()) SLIPWAY_RETURN_IF_ERROR(update(t));
    int failed = 0, running = 0;
    for (const auto& t : trials_) {
      failed += t.state == "FAILED";
      running += t.active();
    }
    if (failed > spec_.max_failed) {
      SLIPWAY_RETURN_IF_ERROR(cancel_running("the sweep failed"));
      return finish("FAILED", std::to_string(failed) + " trials failed, more than the " +
                                  std::to_string(spec_.max_failed) +
                                  " allowed (maxFailedTrialCount)");
    }
    int best = best_trial();
    if (best >= 0 && spec_.objective.goal) {
      double v = *trials_[static_cast<size_t>(best)].objective;
      if (spec_.objective.maximize ? v >= *spec_.objective.goal : v <= *spec_.objective.goal) {
        SLIPWAY_RETURN_IF_ERROR(cancel_running("the goal was reached"));
        return finish("SUCCEEDED", "trial " +
                                       std::to_string(trials_[static_cast<size_t>(best)].number) +
                                       " reached the goal " + spec_.objective.metric + " " +
                                       SearchSpace::format(*spec_.objective.goal));
      }
    }
    if (static_cast<int>(trials_.size()) >= spec_.max_trials && running == 0)
      return finish("SUCCEEDED", "all " + std::to_string(trials_.size()) + " trials finished");
    const int room =
        std::min(spec_.parallel - running, spec_.max_trials - static_cast<int>(trials_.size()));
    if (room > 0) {
      size_t before = trials_.size();
      SLIPWAY_RETURN_IF_ERROR(start_trials(room));
      if (trials_.size() == before && running == 0)
        return finish("SUCCEEDED",
                      "the search space is exhausted after " + std::to_string(before) + " trials");
    } else {
      // Trials created just before a crash have no run yet: create them now.
      SLIPWAY_RETURN_IF_ERROR(start_trials(0));
    }
    if (hooks_.on_progress) hooks_.on_progress(trials_);
    std::this_thread::sleep_for(std::chrono::milliseconds(hooks_.poll_ms));
  }
}

Json trial_pipeline(const SweepSpec& spec, int number, const std::vector<std::string>& cmd) {
  // The command runs in the sweep file's directory, as if typed there; $SLIPWAY_TRIAL_DIR is the
  // trial's own directory (its logs, and a File collector's relative path).
  Json command = Json::array(
      {"sh", "-c", "export SLIPWAY_TRIAL_DIR=\"$PWD\"; cd \"$1\" && shift && exec \"$@\"", "sh",
       spec.trial.workdir});
  for (const auto& a : cmd) command.push_back(a);
  Json component = {{"command", command}};
  if (!spec.trial.env.empty()) component["env"] = spec.trial.env;
  Json task = {{"component", component}, {"cache", false}};
  if (!spec.trial.resources.empty()) task["resources"] = spec.trial.resources;
  if (spec.trial.timeout_seconds > 0)
    task["timeout"] = std::to_string(spec.trial.timeout_seconds) + "s";
  return {{"apiVersion", "slipway/v1"},
          {"kind", "Pipeline"},
          {"name", spec.name + "-trial-" + std::to_string(number)},
          {"tasks", {{"trial", task}}}};
}

std::string trial_source(const SweepSpec& spec, int number, const std::vector<std::string>& cmd) {
  if (!spec.trial.job_document.empty()) return cmd.empty() ? "" : cmd.front();
  return trial_pipeline(spec, number, cmd).dump(2);  // JSON is YAML: the native parser reads it
}

Json sweep_document(const store::SweepRecord& sweep, const SweepSpec& spec,
                    const std::vector<store::TrialRecord>& trials) {
  Json doc = {{"id", sweep.id},
              {"name", sweep.name},
              {"state", sweep.state},
              {"message", sweep.message},
              {"algorithm", spec.algorithm.name},
              {"objective",
               {{"metric", spec.objective.metric},
                {"type", spec.objective.maximize ? "maximize" : "minimize"}}},
              {"backend", sweep.backend},
              {"trials", Json::array()},
              {"best_trial", nullptr}};
  int best = -1;
  for (size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    Json j = {{"number", t.number}, {"parameters", t.params}, {"state", t.state},
              {"run", t.run_id},    {"metrics", t.metrics},   {"message", t.message}};
    j["objective"] = t.objective ? Json(*t.objective) : Json(nullptr);
    if (spec.algorithm.name == "pbt") {
      j["member"] = t.config;
      j["generation"] = t.rung;
      j["parent"] = t.parent >= 0 ? Json(t.parent) : Json(nullptr);
    }
    doc["trials"].push_back(j);
    if (t.has_result() &&
        (best < 0 ||
         (spec.objective.maximize ? *t.objective > *trials[static_cast<size_t>(best)].objective
                                  : *t.objective < *trials[static_cast<size_t>(best)].objective)))
      best = static_cast<int>(i);
  }
  if (best >= 0) doc["best_trial"] = doc["trials"][static_cast<size_t>(best)];
  if (spec.objective.multi_objective) {
    std::vector<std::string> names = {spec.objective.metric};
    names.insert(names.end(), spec.objective.additional.begin(), spec.objective.additional.end());
    doc["objectives"] = names;
    doc["pareto_front"] = Json::array();
    auto ranks = pareto_ranks(spec.objective, trials);
    for (size_t i = 0; i < trials.size(); ++i)
      if (ranks[i] == 0) doc["pareto_front"].push_back(trials[i].number);
  }
  return doc;
}

}  // namespace slipway::tune
