#include "runs/run_control.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "backends/make_backend.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/json.h"
#include "core/status.h"
#include "core/subprocess.h"
#include "core/units.h"
#include "schedule/runner.h"
#include "spec/load_pipeline.h"
#include "spec/validate.h"

namespace slipway::runs {

namespace {
std::mutex g_drivers_mu;
std::vector<int> g_drivers;  // spawned drivers not yet reaped
}  // namespace

bool terminal_run_state(const std::string& s) {
  return s == "SUCCEEDED" || s == "FAILED" || s == "CANCELLED";
}

namespace {

// The pipeline parsed and validated, with its parameters resolved against the given values.
struct ResolvedPipeline {
  spec::PipelineSpec spec;
  std::map<std::string, nlohmann::json> params;
};

Result<ResolvedPipeline> resolve_pipeline(const NewRun& n) {
  spec::LoadedPipeline p = spec::load_pipeline_text(n.source, n.file);
  if (!p.spec) return InvalidInput(p.diagnostics.to_string());
  if (!n.params.is_object()) return InvalidInput("params must be an object of NAME: value");
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const auto& [k, v] : n.params.items()) {
    if (v.is_null()) continue;  // an optional parameter not given: resolved as not given again
    overrides.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  }
  auto params = spec::resolve_params(*p.spec, overrides);
  if (!params.ok()) return InvalidInput(n.file + ": " + params.status().message());
  return ResolvedPipeline{std::move(*p.spec), std::move(*params)};
}

}  // namespace

Result<std::string> check_pipeline(const std::string& source, const std::string& file) {
  spec::LoadedPipeline p = spec::load_pipeline_text(source, file);
  if (!p.spec) return InvalidInput(p.diagnostics.to_string());
  return p.spec->name;
}

Result<store::RunRecord> create_run(store::Store& store, const NewRun& spec, std::int64_t now) {
  auto p = resolve_pipeline(spec);
  if (!p.ok()) return p.status();
  auto backend = backends::make_backend(spec.backend);
  if (!backend.ok()) return InvalidInput(backend.status().message());
  for (const auto& t : p->spec.tasks) {
    Status st = (*backend)->check_fits(t.resources);
    if (!st.ok())
      return InvalidInput(t.loc.to_string() + ": task '" + t.name + "' " + st.message());
  }
  store::RunRecord run;
  run.id = p->spec.name + "-" + random_hex(8);
  run.experiment = spec.experiment.empty() ? "Default" : spec.experiment;
  run.pipeline = p->spec.name;
  run.pipeline_file = spec.file;
  run.format = p->spec.format;
  run.source = spec.source;
  run.params = nlohmann::json(p->params);
  run.options = {{"no_cache", spec.no_cache}, {"container_runtime", spec.container_runtime}};
  if (spec.scheduled_ms > 0) run.options["scheduled_ms"] = spec.scheduled_ms;
  run.state = "PENDING";
  run.backend = spec.backend;
  run.root = (store.home() / "runs" / run.id).string();
  run.created_ms = now;
  run.ns = spec.ns;
  run.schedule_id = spec.schedule_id;
  run.display_name = spec.display_name.empty() ? run.id : spec.display_name;
  run.description = spec.description;
  run.pipeline_version_id = spec.pipeline_version_id;
  SLIPWAY_RETURN_IF_ERROR(store.insert_run(run));
  return run;
}

Result<store::ScheduleRecord> create_schedule(store::Store& store, const NewSchedule& n,
                                              std::int64_t now) {
  auto p = resolve_pipeline(n.run);
  if (!p.ok()) return p.status();
  if (auto backend = backends::make_backend(n.run.backend); !backend.ok())
    return InvalidInput(backend.status().message());
  store::ScheduleRecord s;
  if (n.cron.empty() == n.every.empty())
    return InvalidInput(
        "a schedule needs exactly one of a cron expression (--cron) and an interval (--every)");
  if (!n.cron.empty()) {
    if (auto c = schedule::parse_cron(n.cron); !c.ok())
      return InvalidInput("cron '" + n.cron + "': " + c.status().message());
    s.cron = n.cron;
  } else {
    auto ms = parse_duration_ms(n.every);
    if (!ms.ok()) return InvalidInput("interval '" + n.every + "': " + ms.status().message());
    if (*ms < 1000 || *ms % 1000 != 0)
      return InvalidInput("interval '" + n.every + "' must be whole seconds, at least 1s");
    s.interval_s = *ms / 1000;
  }
  if (n.max_concurrency < 1 || n.max_concurrency > 1000)
    return InvalidInput("max_concurrency must be 1 to 1000, not " +
                        std::to_string(n.max_concurrency));
  s.id = "sched-" + random_hex(8);
  s.ns = n.run.ns;
  s.name = n.name.empty() ? p->spec.name : n.name;
  s.pipeline_file = n.run.file;
  s.source = n.run.source;
  s.params = nlohmann::json(p->params);
  s.experiment = n.run.experiment.empty() ? "Default" : n.run.experiment;
  s.backend = n.run.backend;
  s.start_ms = n.start_ms > 0 ? n.start_ms : now;
  s.max_concurrency = n.max_concurrency;
  s.catch_up = n.catch_up;
  s.no_cache = n.run.no_cache;
  s.enabled = n.enabled;
  s.created_ms = now;
  s.updated_ms = now;
  s.end_ms = n.end_ms;
  if (s.end_ms > 0 && s.end_ms < s.start_ms)
    return InvalidInput("the schedule ends (" + iso8601_ms(s.end_ms) + ") before it starts (" +
                        iso8601_ms(s.start_ms) + ")");
  s.description = n.description;
  s.pipeline_version_id = n.run.pipeline_version_id;
  s.trigger_as_written = n.trigger_as_written;
  SLIPWAY_RETURN_IF_ERROR(store.ensure_experiment(s.experiment, s.ns));
  SLIPWAY_RETURN_IF_ERROR(store.insert_schedule(s));
  return s;
}

Result<store::RunRecord> create_scheduled_run(store::Store& store, const store::ScheduleRecord& s,
                                              std::int64_t tick_ms, std::int64_t now) {
  NewRun spec;
  spec.source = s.source;
  spec.file = s.pipeline_file;
  spec.params = s.params;
  spec.experiment = s.experiment;
  spec.backend = s.backend;
  spec.ns = s.ns;
  spec.schedule_id = s.id;
  spec.scheduled_ms = tick_ms;
  spec.no_cache = s.no_cache;
  spec.pipeline_version_id = s.pipeline_version_id;
  spec.display_name = s.name + " " + iso8601_ms(tick_ms);
  return create_run(store, spec, now);
}

nlohmann::json schedule_json(const store::ScheduleRecord& s, std::int64_t now) {
  nlohmann::json next = nullptr;
  if (auto t = schedule::trigger_of(s); t.ok() && s.enabled) {
    // The next tick after the later of now and the last one fired.
    if (auto n = schedule::next_tick(*t, std::max(now, s.last_fired_ms) / 1000))
      next = iso8601_ms(*n * 1000);
  }
  return {{"id", s.id},
          {"name", s.name},
          {"namespace", s.ns},
          {"pipeline_file", s.pipeline_file},
          {"params", s.params},
          {"experiment", s.experiment},
          {"backend", s.backend},
          {"cron", s.cron},
          {"interval_s", s.interval_s},
          {"start", iso8601_ms(s.start_ms)},
          {"end", s.end_ms ? nlohmann::json(iso8601_ms(s.end_ms)) : nlohmann::json(nullptr)},
          {"max_concurrency", s.max_concurrency},
          {"catch_up", s.catch_up},
          {"no_cache", s.no_cache},
          {"enabled", s.enabled},
          {"last_fired",
           s.last_fired_ms ? nlohmann::json(iso8601_ms(s.last_fired_ms)) : nlohmann::json(nullptr)},
          {"next_fire", next},
          {"created", iso8601_ms(s.created_ms)},
          {"message", s.message}};
}

std::vector<std::string> driver_args(const std::string& run_id, DriveMode mode) {
  std::vector<std::string> args = {"__driver", run_id};
  if (mode == DriveMode::kResume) args.push_back("--resume");
  if (mode == DriveMode::kRetry) args.push_back("--retry");
  return args;
}

Result<int> spawn_driver(const store::RunRecord& run, DriveMode mode) {
  std::error_code ec;
  std::filesystem::create_directories(run.root, ec);
  if (ec) return Failed("cannot create the run root " + run.root + ": " + ec.message());
  std::vector<std::string> argv = {self_executable().string()};
  for (auto& a : driver_args(run.id, mode)) argv.push_back(a);
  auto pid = spawn_detached(argv, run.root + "/driver.log");
  if (pid.ok()) {
    std::lock_guard<std::mutex> l(g_drivers_mu);
    g_drivers.push_back(*pid);
  }
  return pid;
}

void reap_drivers() {
  std::lock_guard<std::mutex> l(g_drivers_mu);
  // Only our own drivers by pid: waitpid(-1) would steal the exit of a helper run_command waits
  // for.
  std::erase_if(g_drivers, [](int pid) { return ::waitpid(pid, nullptr, WNOHANG) != 0; });
}

Result<std::string> cancel_run(store::Store& store, const store::RunRecord& run, int wait_ms) {
  if (terminal_run_state(run.state)) return run.state;
  SLIPWAY_RETURN_IF_ERROR(store.request_cancel(run.id));
  // Wait for the driver to stop its tasks; if there is no live driver, do it here.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (int i = 0;; ++i) {
    auto r = store.get_run(run.id);
    if (r.ok() && terminal_run_state(r->state)) return r->state;
    bool driver_alive = r.ok() && r->driver_pid > 0 &&
                        (::kill(static_cast<pid_t>(r->driver_pid), 0) == 0) &&
                        now_ms() - r->heartbeat_ms < 10'000;
    if (driver_alive && std::chrono::steady_clock::now() > deadline)
      return std::string("CANCELLING");
    if (!driver_alive && i >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // No live driver: the backend stops whatever of the run it still finds (processes, jobs).
  auto backend = backends::make_backend(run.backend);
  if (!backend.ok()) return backend.status();
  // Stop what is left before the store says CANCELLED: if that fails, the run stays as it was.
  if (auto stopped = (*backend)->reattach(run.id, {}); !stopped.ok())
    return Failed("cannot stop what is left of run " + run.id + ": " + stopped.status().message() +
                  "; the run was left as it was, try again");
  SLIPWAY_RETURN_IF_ERROR(store.begin());
  auto write_all = [&]() -> Status {
    for (auto t : store.list_tasks(run.id)) {
      if (t.state == "PENDING" || t.state == "RUNNING") {
        t.state = "CANCELLED";
        t.finished_ms = now_ms();
        t.message = "run cancelled";
        SLIPWAY_RETURN_IF_ERROR(store.upsert_task(t));
      }
    }
    for (auto a : store.list_attempts(run.id))
      if (a.state == "RUNNING") {
        a.state = "CANCELLED";
        a.finished_ms = now_ms();
        SLIPWAY_RETURN_IF_ERROR(store.upsert_attempt(a));
      }
    SLIPWAY_RETURN_IF_ERROR(
        store.set_run_state(run.id, "CANCELLED", now_ms(), "cancelled with no live driver"));
    return store.add_event(run.id, "", "CANCELLED",
                           "no live driver; the backend stopped what was left", now_ms());
  };
  if (Status w = write_all(); !w.ok()) {
    (void)store.rollback();  // safe: the write's error is the one to report
    return w;
  }
  SLIPWAY_RETURN_IF_ERROR(store.commit());
  return std::string("CANCELLED");
}

}  // namespace slipway::runs
