// `slipway runs ls|show|logs|cancel|resume|retry`.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "backends/backend.h"
#include "cli/common.h"
#include "cli/driver.h"
#include "cli/live_table.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/json.h"
#include "core/units.h"
#include "runs/run_control.h"
#include "runs/run_view.h"
#include "spec/pipeline_dot.h"

namespace slipway::cli {

namespace {

const char* kUsage =
    "slipway runs ls [--state S] [--pipeline P] [--experiment E] [--limit N] | show RUN | "
    "logs RUN TASK [--attempt N] | cancel RUN | resume RUN | retry RUN  [--output text|json]";

int runs_ls(store::Store& store, const po::variables_map& vm, OutputMode mode) {
  store::RunFilter f;
  f.state = vm["state"].as<std::string>();
  f.pipeline = vm["pipeline"].as<std::string>();
  f.experiment = vm["experiment"].as<std::string>();
  f.limit = vm["limit"].as<int>();
  auto runs = store.list_runs(f);
  if (mode == OutputMode::kJson) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : runs)
      arr.push_back(
          {{"id", r.id},
           {"pipeline", r.pipeline},
           {"experiment", r.experiment},
           {"state", r.state},
           {"backend", r.backend},
           {"created", iso8601_ms(r.created_ms)},
           {"duration_ms", r.finished_ms && r.started_ms ? r.finished_ms - r.started_ms : 0}});
    print_json(arr);
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "PIPELINE", "STATE", "CREATED", "DURATION", "EXPERIMENT"}};
  for (const auto& r : runs)
    rows.push_back({r.id, r.pipeline, r.state, format_age(r.created_ms),
                    r.finished_ms ? format_duration_ms(r.finished_ms - r.started_ms) : "-",
                    r.experiment});
  print_table(rows);
  return 0;
}

int runs_show(store::Store& store, const store::RunRecord& run, OutputMode mode) {
  if (mode == OutputMode::kDot) {
    auto dot = runs::run_dot(store, run);
    if (!dot.ok()) {
      std::fputs(dot.status().message().c_str(), stderr);
      return 1;
    }
    std::fputs(dot->c_str(), stdout);
    return 0;
  }
  if (mode == OutputMode::kJson) {
    print_json(runs::run_document(store, run));
    return 0;
  }
  std::printf("run:       %s\npipeline:  %s (%s)\nstate:     %s\nbackend:   %s\nexperiment: %s\n",
              run.id.c_str(), run.pipeline.c_str(), run.pipeline_file.c_str(), run.state.c_str(),
              run.backend.c_str(), run.experiment.c_str());
  std::printf("params:    %s\nroot:      %s\n", dump_json(run.params).c_str(), run.root.c_str());
  if (run.finished_ms)
    std::printf("duration:  %s\n", format_duration_ms(run.finished_ms - run.started_ms).c_str());
  std::printf("\n%s", render_task_rows(runs::task_views(store, run.id), now_ms()).c_str());
  auto metrics = store.list_metrics(run.id);
  if (!metrics.empty()) {
    std::printf("\nmetrics:\n");
    for (const auto& m : metrics)
      std::printf("  %s.%s = %g\n", m.task.c_str(), m.name.c_str(), m.value);
  }
  return 0;
}

int runs_logs(store::Store& store, const store::RunRecord& run, const std::string& task,
              int attempt) {
  auto attempts = store.list_attempts(run.id, task);
  if (attempts.empty()) {
    auto t = store.get_task(run.id, task);
    if (!t.ok()) {
      std::fprintf(stderr, "slipway: %s (see: slipway runs show %s)\n",
                   t.status().message().c_str(), run.id.c_str());
      return 1;
    }
    std::fprintf(stderr, "slipway: task %s has not run (%s%s)\n", task.c_str(), t->state.c_str(),
                 t->message.empty() ? "" : (": " + t->message).c_str());
    return t->cached ? 0 : 1;
  }
  const store::AttemptRecord* a = &attempts.back();
  if (attempt > 0) {
    a = nullptr;
    for (const auto& x : attempts)
      if (x.number == attempt) a = &x;
    if (!a) {
      std::fprintf(stderr, "slipway: task %s has no attempt %d (it has %zu)\n", task.c_str(),
                   attempt, attempts.size());
      return 1;
    }
  }
  std::string base = a->log_path.substr(0, a->log_path.size() - 4);
  auto out = read_file(base + ".out");
  auto err = read_file(base + ".err");
  if (out.ok()) std::fputs(out->c_str(), stdout);
  if (err.ok() && !err->empty()) std::fputs(err->c_str(), stderr);
  if (!out.ok() && !err.ok()) {
    std::fprintf(stderr, "slipway: the logs of %s attempt %d are gone (%s)\n", task.c_str(),
                 a->number, base.c_str());
    return 1;
  }
  return 0;
}

int runs_cancel(store::Store& store, const store::RunRecord& run) {
  if (runs::terminal_run_state(run.state)) {
    std::printf("run %s is already %s\n", run.id.c_str(), run.state.c_str());
    return 0;
  }
  auto state = runs::cancel_run(store, run, 30'000);
  if (!state.ok()) {
    std::fprintf(stderr, "slipway: %s\n", state.status().message().c_str());
    return 1;
  }
  std::printf("run %s %s\n", run.id.c_str(), state->c_str());
  return 0;
}

}  // namespace

int cmd_runs(const Args& args) {
  po::options_description opts("runs options");
  opts.add_options()("verb", po::value<std::string>()->required(),
                     "ls, show, logs, cancel, resume, retry")("run", po::value<std::string>(),
                                                              "run id (a unique prefix is enough)")(
      "task", po::value<std::string>(), "task name, for logs")(
      "attempt", po::value<int>()->default_value(0),
      "attempt number, for logs (default: the last)")(
      "state", po::value<std::string>()->default_value(""), "ls: only runs in this state")(
      "pipeline", po::value<std::string>()->default_value(""), "ls: only runs of this pipeline")(
      "experiment", po::value<std::string>()->default_value(""),
      "ls: only runs of this experiment")("limit", po::value<int>()->default_value(50),
                                          "ls: at most this many runs")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("verb", 1).add("run", 1).add("task", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, kUsage, opts, pos, &vm, &rc)) return rc;
  std::string verb = vm["verb"].as<std::string>();
  auto mode = output_mode(vm, /*allow_dot=*/verb == "show");
  if (!mode) return 2;
  static const std::vector<std::string> kVerbs = {"ls",     "show",   "logs",
                                                  "cancel", "resume", "retry"};
  if (std::find(kVerbs.begin(), kVerbs.end(), verb) == kVerbs.end()) {
    std::fprintf(stderr, "slipway runs: unknown verb '%s'; usage: %s\n", verb.c_str(), kUsage);
    return 2;
  }
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  if (verb == "ls") return runs_ls(*store, vm, *mode);
  if (!vm.count("run")) {
    std::fprintf(stderr, "slipway runs %s: which run? usage: %s\n", verb.c_str(), kUsage);
    return 2;
  }
  auto run = store->get_run(vm["run"].as<std::string>());
  if (!run.ok()) {
    std::fprintf(stderr, "slipway: %s\n", run.status().message().c_str());
    return run.status().code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  if (verb == "show") return runs_show(*store, *run, *mode);
  if (verb == "logs") {
    if (!vm.count("task")) {
      std::fprintf(stderr, "slipway runs logs: which task? usage: slipway runs logs RUN TASK\n");
      return 2;
    }
    return runs_logs(*store, *run, vm["task"].as<std::string>(), vm["attempt"].as<int>());
  }
  if (verb == "cancel") return runs_cancel(*store, *run);
  DriveOptions o;
  o.output = *mode;
  if (verb == "resume") {
    if (runs::terminal_run_state(run->state)) {
      std::fprintf(
          stderr, "slipway: run %s is %s; nothing to resume%s\n", run->id.c_str(),
          run->state.c_str(),
          run->state == "SUCCEEDED" ? "" : " (to run its failed tasks again: slipway runs retry)");
      return run->state == "SUCCEEDED" ? 0 : 1;
    }
    o.resume = true;
    return drive_run(*store, run->id, o);
  }
  // retry
  if (!runs::terminal_run_state(run->state)) {
    std::fprintf(stderr, "slipway: run %s is %s; retry applies to a finished run (use resume)\n",
                 run->id.c_str(), run->state.c_str());
    return 1;
  }
  if (run->state == "SUCCEEDED") {
    std::printf("run %s SUCCEEDED; nothing to retry\n", run->id.c_str());
    return 0;
  }
  o.rerun_failed = true;
  return drive_run(*store, run->id, o);
}

}  // namespace slipway::cli
