// `slipway run`, `slipway validate`, and the detached driver.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "backends/make_backend.h"
#include "cli/common.h"
#include "cli/driver.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/subprocess.h"
#include "runs/run_control.h"
#include "spec/pipeline_dot.h"
#include "spec/validate.h"

namespace slipway::cli {

namespace fs = std::filesystem;

int cmd_validate(const Args& args) {
  po::options_description opts("validate options");
  opts.add_options()("file", po::value<std::string>(), "pipeline file")(
      "runtime", po::value<std::vector<std::string>>()->composing(),
      "file with the ClusterTrainingRuntime a TrainJob names, repeatable")(
      "report", po::value<std::string>(), "report on every pipeline file under this directory")(
      "output,o", po::value<std::string>()->default_value("text"), "text, json or dot (Graphviz)");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(
          args,
          "slipway validate FILE [--output text|json|dot] | --report DIR [--output text|json]",
          opts, pos, &vm, &rc))
    return rc;
  auto mode = output_mode(vm, /*allow_dot=*/true);
  if (!mode) return 2;
  if (vm.count("report")) return validate_report(vm["report"].as<std::string>(), *mode);
  if (!vm.count("file")) {
    std::fprintf(stderr,
                 "slipway validate: which file? usage: slipway validate FILE | --report DIR\n");
    return 2;
  }
  std::string file = vm["file"].as<std::string>();
  spec::LoadedPipeline p = spec::load_pipeline_file(file, load_options(vm));
  bool ok = p.spec.has_value();
  if (*mode == OutputMode::kDot) {
    std::fputs(p.diagnostics.to_string().c_str(), stderr);
    if (ok) std::fputs(spec::pipeline_dot(*p.spec, {}).c_str(), stdout);
  } else if (*mode == OutputMode::kJson) {
    nlohmann::json j = {{"file", file}, {"valid", ok}, {"diagnostics", p.diagnostics.to_json()}};
    if (ok) {
      j["pipeline"] = p.spec->name;
      j["tasks"] = p.spec->tasks.size();
      j["format"] = p.spec->format;
    }
    print_json(j);
  } else {
    std::fputs(p.diagnostics.to_string().c_str(), stderr);
    if (ok)
      std::printf("%s: pipeline '%s' is valid (%zu tasks, %zu components)\n", file.c_str(),
                  p.spec->name.c_str(), p.spec->tasks.size(), p.spec->components.size());
  }
  return ok ? 0 : 2;
}

// `slipway __driver RUN [--resume|--retry]`: what `run --detach`, the server and sweeps start in
// the background. Not for users, but a wrong call still says what is wrong (in driver.log).
int cmd_driver(const Args& args) {
  if (args.empty() || args.size() > 2 ||
      (args.size() == 2 && args[1] != "--resume" && args[1] != "--retry")) {
    std::fprintf(stderr, "usage: slipway __driver RUN [--resume|--retry]\n");
    return 2;
  }
  int rc = 0;
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  DriveOptions o;
  o.live_table = false;
  o.resume = args.size() == 2 && args[1] == "--resume";
  o.rerun_failed = args.size() == 2 && args[1] == "--retry";
  return drive_run(*store, args[0], o);
}

int cmd_run(const Args& args) {
  po::options_description opts("run options");
  opts.add_options()("file", po::value<std::string>()->required(), "pipeline file")(
      "param,p", po::value<std::vector<std::string>>()->composing(), "NAME=VALUE, repeatable")(
      "runtime", po::value<std::vector<std::string>>()->composing(),
      "file with the ClusterTrainingRuntime a TrainJob names, repeatable")(
      "backend", po::value<std::string>()->default_value("local"), "local, slurm or k8s")(
      "experiment", po::value<std::string>()->default_value("Default"),
      "experiment to file the run under")("no-cache", po::bool_switch(),
                                          "run every task even when a cached result exists")(
      "container-runtime", po::value<std::string>()->default_value(""),
      "apptainer or singularity: run each step inside its component's image (default: on the "
      "host)")("detach", po::bool_switch(), "print the run id and drive the run in the background")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  int rc = 0;
  const char* usage =
      "slipway run FILE [-p NAME=VALUE]... [--backend local|slurm|k8s] [--no-cache] [--detach] "
      "[--output text|json]";
  if (!parse_args(args, usage, opts, pos, &vm, &rc)) return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  std::string file = vm["file"].as<std::string>();

  auto p = load_pipeline_with_params(vm);
  if (!p) return 2;
  std::string runtime = vm["container-runtime"].as<std::string>();
  if (!runtime.empty()) {
    if (runtime != "apptainer" && runtime != "singularity") {
      std::fprintf(stderr,
                   "slipway: --container-runtime takes apptainer or singularity, not '%s'\n",
                   runtime.c_str());
      return 2;
    }
    // Probed now, not when the first step starts: a missing runtime is the user's to fix before
    // anything is stored.
    auto probe = run_command({runtime, "--version"}, 10'000);
    if (!probe.ok() || probe->exit_code != 0) {
      std::fprintf(stderr,
                   "slipway: --container-runtime %s: %s is not available on this machine; install "
                   "it, or run "
                   "without --container-runtime and the steps run on the host (their images are "
                   "recorded, not pulled)\n",
                   runtime.c_str(), runtime.c_str());
      return 2;
    }
  }
  std::string backend_name = vm["backend"].as<std::string>();
  auto backend = backends::make_backend(backend_name);
  if (!backend.ok()) {
    std::fprintf(stderr, "slipway: %s\n", backend.status().message().c_str());
    return 2;
  }
  // Every task that cannot run on this backend is reported, each at its line, before the run
  // exists (create_run checks again, for the API, and stops at the first).
  bool fits = true;
  for (const auto& t : p->spec.tasks) {
    Status st = (*backend)->check_fits(t.resources);
    if (!st.ok()) {
      std::fprintf(stderr, "%s: error: task '%s' %s\n", t.loc.to_string().c_str(), t.name.c_str(),
                   st.message().c_str());
      fits = false;
    }
  }
  if (!fits) return 2;

  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  runs::NewRun spec;
  spec.source = p->source;
  spec.file = fs::absolute(file).string();
  spec.params = nlohmann::json(p->params);
  spec.experiment = vm["experiment"].as<std::string>();
  spec.backend = backend_name;
  spec.no_cache = vm["no-cache"].as<bool>();
  spec.container_runtime = runtime;
  auto created = runs::create_run(*store, spec, now_ms());
  if (!created.ok()) {
    std::fprintf(stderr, "slipway: %s\n", created.status().message().c_str());
    // Exit 2 for what the input got wrong, 1 for what went wrong here (the store, the disk).
    return created.status().code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  const store::RunRecord& run = *created;
  if (vm["detach"].as<bool>()) {
    if (Status st = start_detached_driver(run, false); !st.ok()) {
      std::fprintf(stderr, "slipway: %s\n", st.message().c_str());
      return 1;
    }
    if (*mode == OutputMode::kJson)
      print_json({{"id", run.id}, {"state", "PENDING"}});
    else
      std::printf("%s\n", run.id.c_str());
    return 0;
  }
  // Without a terminal there is no live table, so a log gets at least the run id.
  if (*mode == OutputMode::kText && !isatty(2))
    std::fprintf(stderr, "run %s started\n", run.id.c_str());
  DriveOptions o;
  o.output = *mode;
  o.spec = &p->spec;  // parsed and validated above; no need to read the stored copy again
  return drive_run(*store, run.id, o);
}

}  // namespace slipway::cli
