// `slipway sweep FILE` and `slipway sweep ls|show|resume|cancel`: hyperparameter sweeps whose
// trials are ordinary runs on any backend.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>

#include "backends/make_backend.h"
#include "cli/common.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/strings.h"
#include "tune/controller.h"
#include "tune/pareto.h"
#include "tune/sweep_svg.h"

namespace slipway::cli {

namespace fs = std::filesystem;

namespace {

const char* kUsage =
    "slipway sweep FILE [--backend local|slurm|k8s] [--detach] [--output text|json]\n"
    "       slipway sweep ls | show SWEEP [--plot DIR] | resume SWEEP [--max-trials N]\n"
    "       slipway sweep cancel SWEEP | validate FILE|DIR  [--output text|json]";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

bool terminal(const std::string& s) {
  return s == "SUCCEEDED" || s == "FAILED" || s == "CANCELLED";
}

bool controller_alive(const store::SweepRecord& s) {
  return s.controller_pid > 0 &&
         (::kill(static_cast<pid_t>(s.controller_pid), 0) == 0 || errno == EPERM) &&
         now_ms() - s.heartbeat_ms < 10'000;
}

std::vector<std::vector<std::string>> trial_rows(const tune::SweepSpec& spec,
                                                 const std::vector<store::TrialRecord>& trials) {
  std::vector<std::vector<std::string>> rows;
  const bool multi = spec.objective.multi_objective;
  std::vector<std::string> head = {"TRIAL", "STATE", spec.objective.metric};
  if (multi) {
    head.insert(head.end(), spec.objective.additional.begin(), spec.objective.additional.end());
    head.push_back("FRONT");
  }
  for (const auto& p : spec.space.params) head.push_back(p.name);
  rows.push_back(head);
  std::vector<int> ranks = multi ? tune::pareto_ranks(spec.objective, trials) : std::vector<int>{};
  for (size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    std::vector<std::string> r = {std::to_string(t.number), t.state,
                                  t.objective ? tune::SearchSpace::format(*t.objective) : "-"};
    if (multi) {
      for (const auto& m : spec.objective.additional)
        r.push_back(t.metrics.contains(m) ? tune::SearchSpace::format(t.metrics[m]) : "-");
      r.push_back(ranks[i] == 0 ? "*" : "");
    }
    for (const auto& p : spec.space.params)
      r.push_back(t.params.contains(p.name) ? tune::SearchSpace::format(t.params[p.name]) : "-");
    rows.push_back(r);
  }
  return rows;
}

void print_result(const store::SweepRecord& sweep, const tune::SweepSpec& spec,
                  const std::vector<store::TrialRecord>& trials, OutputMode mode) {
  Json doc = tune::sweep_document(sweep, spec, trials);
  if (mode == OutputMode::kJson) {
    print_json(doc);
    return;
  }
  print_table(trial_rows(spec, trials));
  std::printf("\nsweep %s %s: %s\n", sweep.id.c_str(), sweep.state.c_str(), sweep.message.c_str());
  if (doc.contains("pareto_front")) {
    std::string front;
    for (const auto& n : doc["pareto_front"])
      front += (front.empty() ? "" : ", ") + std::to_string(n.get<int>());
    std::printf("Pareto front (%s): trials %s\n",
                join(doc["objectives"].get<std::vector<std::string>>(), ", ").c_str(),
                front.c_str());
  }
  if (!doc["best_trial"].is_null()) {
    const Json& b = doc["best_trial"];
    std::string params;
    for (const auto& [k, v] : b["parameters"].items())
      params += " " + k + "=" + tune::SearchSpace::format(v);
    std::printf("best: trial %d %s=%s%s\n", b["number"].get<int>(), spec.objective.metric.c_str(),
                tune::SearchSpace::format(b["objective"]).c_str(), params.c_str());
  }
}

// Runs the controller in this process until the sweep ends; the exit code of `sweep`.
int control(store::Store& store, store::SweepRecord sweep, const tune::SweepSpec& spec,
            OutputMode mode) {
  bool tty = isatty(2) && mode == OutputMode::kText;
  tune::ControllerHooks hooks;
  hooks.start_driver = [&store](const std::string& run_id, bool resume) -> Status {
    auto run = store.get_run(run_id);
    if (!run.ok()) return run.status();
    return start_detached_driver(*run, resume);
  };
  hooks.say = [tty](const std::string& line) {
    if (tty) std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "%s\n", line.c_str());
  };
  hooks.on_progress = [tty, &spec](const std::vector<store::TrialRecord>& trials) {
    if (!tty) return;
    int done = 0, running = 0, failed = 0, best = -1;
    for (size_t i = 0; i < trials.size(); ++i) {
      const auto& t = trials[i];
      running += t.state == "RUNNING" || t.state == "PENDING";
      failed += t.state == "FAILED";
      done += t.state == "SUCCEEDED" || t.state == "EARLY_STOPPED";
      if (t.objective && (t.state == "SUCCEEDED" || t.state == "EARLY_STOPPED") &&
          (best < 0 ||
           (spec.objective.maximize ? *t.objective > *trials[static_cast<size_t>(best)].objective
                                    : *t.objective < *trials[static_cast<size_t>(best)].objective)))
        best = static_cast<int>(i);
    }
    std::string line = "[sweep] " + std::to_string(done) + "/" + std::to_string(spec.max_trials) +
                       " trials done, " + std::to_string(running) + " running, " +
                       std::to_string(failed) + " failed";
    if (best >= 0)
      line += "; best " + spec.objective.metric + " " +
              tune::SearchSpace::format(*trials[static_cast<size_t>(best)].objective) + " (trial " +
              std::to_string(best) + ")";
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  };
  hooks.should_stop = [] { return g_stop.load(); };
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  tune::SweepController controller(store, sweep, spec, hooks);
  auto summary = controller.run();
  if (tty) std::fputc('\n', stderr);
  if (!summary.ok()) {
    std::fprintf(stderr, "slipway sweep: %s\n", summary.status().message().c_str());
    if (summary.status().code() == ErrorCode::kFailed)
      std::fprintf(stderr,
                   "slipway sweep: its trials are kept; once the cause is fixed, `slipway sweep "
                   "resume %s` continues the sweep\n",
                   sweep.id.c_str());
    if (Status u =
            store.update_sweep_state(sweep.id, "FAILED", summary.status().message(), now_ms());
        !u.ok())
      std::fprintf(stderr, "slipway sweep: the sweep's FAILED state was not stored: %s\n",
                   u.message().c_str());
    return summary.status().code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  auto rec = store.get_sweep(sweep.id);
  if (rec.ok()) sweep = *rec;
  print_result(sweep, spec, store.list_trials(sweep.id), mode);
  return summary->state == "SUCCEEDED" ? 0 : 1;
}

int sweep_start(const po::variables_map& vm, OutputMode mode) {
  std::string file = vm["target"].as<std::string>();
  auto spec = tune::load_sweep(file);
  if (!spec.ok()) {
    std::fprintf(stderr, "%s\n", spec.status().message().c_str());
    return 2;
  }
  std::string backend_name = vm["backend"].as<std::string>();
  auto backend = backends::make_backend(backend_name);
  if (!backend.ok()) {
    std::fprintf(stderr, "slipway: %s\n", backend.status().message().c_str());
    return 2;
  }
  auto sampler = tune::make_sampler(*spec);
  if (!sampler.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), sampler.status().message().c_str());
    return 2;
  }
  // A trial's pipeline, built as the controller will build it, must parse and fit the backend:
  // a trial too big for it is refused now, not once per trial.
  {
    auto cmd =
        tune::trial_command(*spec, spec->space.decode(std::vector<double>(spec->space.dims(), 0.5)),
                            tune::probe_extras(*spec));
    if (!cmd.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), cmd.status().message().c_str());
      return 2;
    }
    spec::LoadedPipeline probe = spec::load_pipeline_text(tune::trial_source(*spec, 0, *cmd), file);
    if (!probe.spec) {
      std::fprintf(stderr, "%s: the trial is not a valid task:\n%s", file.c_str(),
                   probe.diagnostics.to_string().c_str());
      return 2;
    }
    for (const auto& t : probe.spec->tasks)
      if (Status st = (*backend)->check_fits(t.resources); !st.ok()) {
        std::fprintf(stderr, "%s: the trial %s\n", file.c_str(), st.message().c_str());
        return 2;
      }
  }
  int rc = 0;
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  auto text = read_file(file);
  store::SweepRecord sweep;
  sweep.id = spec->name + "-" + random_hex(6);
  sweep.name = spec->name;
  sweep.file = fs::absolute(file).string();
  sweep.format = spec->format;
  sweep.source = text.ok() ? *text : "";
  sweep.backend = backend_name;
  sweep.state = "RUNNING";
  sweep.created_ms = now_ms();
  if (Status st = store->insert_sweep(sweep); !st.ok()) {
    std::fprintf(stderr, "slipway: %s\n", st.message().c_str());
    return 1;
  }
  if (vm["detach"].as<bool>()) {
    // The controller as a daemon (`slipway sweep resume ID`), logging beside the store.
    if (Status st = start_daemon((store->home() / "sweeps" / (sweep.id + ".log")).string(),
                                 {"sweep", "resume", sweep.id});
        !st.ok()) {
      std::fprintf(stderr, "slipway: %s\n", st.message().c_str());
      return 1;
    }
    if (mode == OutputMode::kJson)
      print_json({{"id", sweep.id}, {"state", "RUNNING"}});
    else
      std::printf("%s\n", sweep.id.c_str());
    return 0;
  }
  std::fprintf(stderr, "sweep %s: %s, %d trials, %d at a time, on %s\n", sweep.id.c_str(),
               spec->algorithm.name.c_str(), spec->max_trials, spec->parallel,
               backend_name.c_str());
  if (!spec->collector.custom_image.empty())
    std::fprintf(stderr,
                 "sweep %s: the Custom metrics collector's image %s is not run; its source file "
                 "%s is read as a File collector reads it (name=value lines)\n",
                 sweep.id.c_str(), spec->collector.custom_image.c_str(),
                 spec->collector.path.c_str());
  return control(*store, sweep, *spec, mode);
}

// The sweep's definition as stored, with a continued sweep's larger trial budget.
Result<tune::SweepSpec> spec_of(const store::SweepRecord& s) {
  auto spec = tune::parse_sweep(s.source, s.file);
  if (spec.ok() && s.max_trials > 0) spec->max_trials = s.max_trials;
  return spec;
}

}  // namespace

int cmd_sweep(const Args& args) {
  po::options_description opts("sweep options");
  opts.add_options()("target", po::value<std::string>()->required(),
                     "a sweep file, or ls, show, resume, cancel")(
      "sweep", po::value<std::string>(), "sweep id (a unique prefix is enough)")(
      "backend", po::value<std::string>()->default_value("local"), "local, slurm or k8s")(
      "detach", po::bool_switch(), "print the sweep id and run the sweep in the background")(
      "max-trials", po::value<int>(),
      "resume: continue a sweep that ran all its trials up to this many (its resumePolicy "
      "must allow it)")("plot", po::value<std::string>(),
                        "show: write best.svg, parallel.svg (and pareto.svg) into this directory")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("target", 1).add("sweep", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, kUsage, opts, pos, &vm, &rc)) return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  std::string target = vm["target"].as<std::string>();
  if (target == "validate") {
    // A file or every .yaml/.yml under a directory: accepted (and by which algorithm) or refused,
    // with the reason.
    if (!vm.count("sweep")) {
      std::fprintf(stderr, "slipway sweep validate: which file or directory?\n");
      return 2;
    }
    fs::path root = vm["sweep"].as<std::string>();
    std::vector<fs::path> files;
    std::error_code ec;
    if (fs::is_directory(root, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(root, ec))
        if (e.is_regular_file() &&
            (e.path().extension() == ".yaml" || e.path().extension() == ".yml"))
          files.push_back(e.path());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(root);
    }
    Json report = Json::array();
    int refused = 0;
    for (const auto& f : files) {
      auto spec = tune::load_sweep(f.string());
      Status st = spec.ok() ? tune::make_sampler(*spec).status() : spec.status();
      Json row = {{"file", f.string()}, {"accepted", st.ok()}};
      if (st.ok())
        row["format"] = spec->format, row["algorithm"] = spec->algorithm.name,
        row["parameters"] = spec->space.dims();
      else
        row["reason"] = st.message(), ++refused;
      report.push_back(row);
      if (*mode == OutputMode::kText)
        std::printf("%s: %s\n", f.c_str(),
                    st.ok()
                        ? ("accepted (" + spec->format + ", " + spec->algorithm.name + ")").c_str()
                        : ("refused: " + st.message()).c_str());
    }
    if (*mode == OutputMode::kJson) print_json(report);
    return refused == 0 ? 0 : 2;
  }
  if (target != "ls" && target != "show" && target != "resume" && target != "cancel")
    return sweep_start(vm, *mode);
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  if (target == "ls") {
    auto sweeps = store->list_sweeps();
    if (*mode == OutputMode::kJson) {
      Json out = Json::array();
      for (const auto& s : sweeps) {
        auto spec = spec_of(s);
        out.push_back(spec.ok() ? tune::sweep_document(s, *spec, store->list_trials(s.id))
                                : Json{{"id", s.id}, {"state", s.state}});
      }
      print_json(out);
      return 0;
    }
    std::vector<std::vector<std::string>> rows = {{"SWEEP", "STATE", "TRIALS", "BEST", "CREATED"}};
    for (const auto& s : sweeps) {
      auto spec = spec_of(s);
      auto trials = store->list_trials(s.id);
      std::string best = "-";
      if (spec.ok()) {
        Json doc = tune::sweep_document(s, *spec, trials);
        if (!doc["best_trial"].is_null())
          best = spec->objective.metric + "=" +
                 tune::SearchSpace::format(doc["best_trial"]["objective"]);
      }
      rows.push_back(
          {s.id, s.state, std::to_string(trials.size()), best, format_age(s.created_ms)});
    }
    print_table(rows);
    return 0;
  }
  if (!vm.count("sweep")) {
    std::fprintf(stderr, "slipway sweep %s: which sweep? usage: %s\n", target.c_str(), kUsage);
    return 2;
  }
  auto sweep = store->get_sweep(vm["sweep"].as<std::string>());
  if (!sweep.ok()) {
    std::fprintf(stderr, "slipway: %s\n", sweep.status().message().c_str());
    return sweep.status().code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  auto spec = spec_of(*sweep);
  if (!spec.ok()) {
    std::fprintf(stderr, "slipway: the stored definition of sweep %s no longer reads: %s\n",
                 sweep->id.c_str(), spec.status().message().c_str());
    return 1;
  }
  if (target == "show") {
    auto trials = store->list_trials(sweep->id);
    if (vm.count("plot")) {
      fs::path dir = vm["plot"].as<std::string>();
      std::error_code ec;
      fs::create_directories(dir, ec);
      std::vector<std::pair<std::string, std::string>> plots = {
          {"best.svg", tune::best_so_far_svg(*spec, trials)},
          {"parallel.svg", tune::parallel_coordinates_svg(*spec, trials)}};
      if (spec->objective.multi_objective)
        plots.push_back({"pareto.svg", tune::pareto_svg(*spec, trials)});
      for (const auto& [name, svg] : plots) {
        if (Status st = write_file_atomic((dir / name).string(), svg); !st.ok()) {
          std::fprintf(stderr, "slipway: %s\n", st.message().c_str());
          return 1;
        }
        std::fprintf(stderr, "wrote %s\n", (dir / name).c_str());
      }
    }
    print_result(*sweep, *spec, trials, *mode);
    return 0;
  }
  if (target == "cancel") {
    auto cancel = [&]() -> Status {
      SLIPWAY_RETURN_IF_ERROR(store->request_sweep_cancel(sweep->id));
      if (terminal(sweep->state) || controller_alive(*sweep)) return Status::Ok();
      // No controller to act on the request: cancel the trials' runs and the sweep here.
      for (auto t : store->list_trials(sweep->id))
        if (t.state == "RUNNING" || t.state == "PENDING") {
          SLIPWAY_RETURN_IF_ERROR(store->request_cancel(t.run_id));
          t.state = "CANCELLED";
          t.message = "the sweep was cancelled";
          t.finished_ms = now_ms();
          SLIPWAY_RETURN_IF_ERROR(store->upsert_trial(t));
        }
      return store->update_sweep_state(sweep->id, "CANCELLED", "cancelled", now_ms());
    };
    if (Status c = cancel(); !c.ok()) {
      std::fprintf(stderr, "slipway sweep cancel: %s; run it again\n", c.message().c_str());
      return 1;
    }
    std::printf("sweep %s: cancel requested\n", sweep->id.c_str());
    return 0;
  }
  // resume
  if (vm.count("max-trials")) {
    // Katib's restart: a sweep that ran all its trials goes on with a larger budget, when its
    // resumePolicy allows it.
    const int more = vm["max-trials"].as<int>();
    const int have = static_cast<int>(store->list_trials(sweep->id).size());
    // It ran its whole budget: not stopped at the goal, nor by an exhausted grid.
    const bool ran_all = sweep->state == "SUCCEEDED" && have >= spec->max_trials;
    std::string why;
    if (!terminal(sweep->state))
      why = "it is still running; --max-trials continues a finished sweep";
    else if (!ran_all)
      why = "it is " + sweep->state + " (" + sweep->message +
            "); only a sweep that ran all its trials can be continued";
    else if (spec->resume_policy == "Never")
      why =
          "its Experiment's resumePolicy is Never (Katib's default); set resumePolicy: "
          "LongRunning or FromVolume to continue it, or start a new sweep";
    else if (more <= have)
      why = "it has " + std::to_string(have) + " trials already; --max-trials must be more";
    if (!why.empty()) {
      std::fprintf(stderr, "slipway: cannot continue sweep %s: %s\n", sweep->id.c_str(),
                   why.c_str());
      return 2;
    }
    if (Status st = store->continue_sweep(sweep->id, more); !st.ok()) {
      std::fprintf(stderr, "slipway: %s\n", st.message().c_str());
      return 1;
    }
    sweep = store->get_sweep(sweep->id);
    if (sweep.ok()) spec = spec_of(*sweep);
    if (!sweep.ok() || !spec.ok()) {
      std::fprintf(stderr, "slipway: sweep %s no longer reads back from the store\n",
                   vm["sweep"].as<std::string>().c_str());
      return 1;
    }
    std::fprintf(stderr, "sweep %s: continuing up to %d trials (resumePolicy %s)\n",
                 sweep->id.c_str(), more, spec->resume_policy.c_str());
  }
  if (terminal(sweep->state)) {
    std::fprintf(stderr, "slipway: sweep %s is %s; nothing to resume\n", sweep->id.c_str(),
                 sweep->state.c_str());
    print_result(*sweep, *spec, store->list_trials(sweep->id), *mode);
    return sweep->state == "SUCCEEDED" ? 0 : 1;
  }
  if (controller_alive(*sweep) && sweep->controller_pid != getpid()) {
    std::fprintf(stderr, "slipway: sweep %s is being run by pid %lld; cancel it or wait for it\n",
                 sweep->id.c_str(), static_cast<long long>(sweep->controller_pid));
    return 1;
  }
  std::fprintf(stderr, "sweep %s: resuming with %zu trials in the store\n", sweep->id.c_str(),
               store->list_trials(sweep->id).size());
  return control(*store, *sweep, *spec, *mode);
}

}  // namespace slipway::cli
