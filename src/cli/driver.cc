#include "cli/driver.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "backends/make_backend.h"
#include "cli/live_table.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/units.h"
#include "dag/engine.h"
#include "runs/run_view.h"

namespace slipway::cli {

namespace {

dag::Engine* g_engine = nullptr;

void on_signal(int) {
  if (g_engine) g_engine->request_cancel();
}

std::string hostname() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

int drive_run(store::Store& store, const std::string& run_id, const DriveOptions& opts) {
  auto run = store.get_run(run_id);
  if (!run.ok()) {
    std::fprintf(stderr, "slipway: %s\n", run.status().message().c_str());
    return run.status().code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  spec::LoadedPipeline loaded;
  if (!opts.spec) {
    loaded = spec::load_pipeline_text(run->source, run->pipeline_file);
    if (!loaded.spec) {
      std::fputs(loaded.diagnostics.to_string().c_str(), stderr);
      return 2;
    }
  }
  const spec::PipelineSpec& spec = opts.spec ? *opts.spec : *loaded.spec;
  auto backend = backends::make_backend(run->backend);
  if (!backend.ok()) {
    std::fprintf(stderr, "slipway: %s\n", backend.status().message().c_str());
    return 2;
  }
  Status lease = store.acquire_lease(run->id, getpid(), hostname(), now_ms(), 10'000);
  if (!lease.ok()) {
    std::fprintf(stderr, "slipway: %s\n", lease.message().c_str());
    return 1;
  }
  if (opts.rerun_failed || opts.resume) {
    // Clear a cancel request of the earlier attempt at this run, so the new driver runs.
    Status cleared = store.db()
                         .prepare("UPDATE runs SET cancel_requested = 0 WHERE id = ?1")
                         .bind(1, run->id)
                         .done();
    if (!cleared.ok()) {
      std::fprintf(stderr, "slipway: run %s: cannot clear its earlier cancel request: %s\n",
                   run->id.c_str(), cleared.message().c_str());
      (void)store.release_lease(run->id, getpid());  // safe: it lapses with its heartbeat
      return 1;
    }
  }

  dag::EngineOptions eo;
  eo.no_cache = run->options.value("no_cache", false);
  eo.container_runtime = run->options.value("container_runtime", "");
  eo.rerun_failed = opts.rerun_failed;
  eo.self_exe = self_executable().string();
  LiveTable table(run->id, opts.live_table && opts.output == OutputMode::kText && isatty(2));
  dag::Engine* ep = nullptr;
  // The table reads the engine's snapshot after each loop turn.
  eo.on_tick = [&table, &ep] {
    if (ep && table.due()) table.update(ep->snapshot());
  };
  dag::Engine engine(store, **backend, spec, *run, eo);
  ep = &engine;
  g_engine = &engine;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto final = engine.run();
  g_engine = nullptr;
  table.update(engine.snapshot(), true);
  if (Status released = store.release_lease(run->id, getpid()); !released.ok())
    // Not fatal: the lease lapses when its heartbeat goes stale, and `runs resume` then takes it.
    std::fprintf(stderr, "slipway: run %s: the driver's lease was not released: %s\n",
                 run->id.c_str(), released.message().c_str());
  if (!final.ok()) {
    std::fprintf(stderr, "slipway: run %s stopped: %s\n", run->id.c_str(),
                 final.status().message().c_str());
    return 1;
  }
  auto done = store.get_run(run->id);
  if (opts.output == OutputMode::kJson) {
    print_json(runs::run_document(store, *done));
  } else {
    if (!(opts.live_table && isatty(2)))
      std::fputs(render_task_rows(engine.snapshot(), now_ms()).c_str(), stdout);
    std::printf("run %s %s in %s\n", run->id.c_str(), final->c_str(),
                format_duration_ms(done->finished_ms - done->started_ms).c_str());
    for (const auto& t : store.list_tasks(run->id))
      if (t.state == "FAILED")
        std::printf("  task %s failed: %s (logs: slipway runs logs %s %s)\n", t.name.c_str(),
                    t.message.c_str(), run->id.c_str(), t.name.c_str());
  }
  return *final == "SUCCEEDED" ? 0 : 1;
}

}  // namespace slipway::cli
