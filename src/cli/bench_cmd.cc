// `slipway bench scaling CONFIG.yaml --ranks 1,2,4 ...`: how a training job scales, measured on
// the backend it will run on. It writes a pipeline with one training task per scale, chained so
// the scales never share the machine, runs it like any pipeline (so Slurm works too), and turns
// the trainer's timing metrics into a table and a plot (cli/scaling_report.h).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cli/common.h"
#include "cli/scaling_report.h"
#include "core/files.h"
#include "core/strings.h"
#include "train/train_config.h"

namespace slipway::cli {

namespace fs = std::filesystem;

namespace {

Result<std::vector<int>> parse_ranks(const std::string& list) {
  std::vector<int> out;
  for (const auto& s : split(list, ',')) {
    char* end = nullptr;
    long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v < 1 || v > 100000)
      return InvalidInput("--ranks '" + list + "': '" + s + "' is not a rank count");
    if (!out.empty() && v <= out.back()) return InvalidInput("--ranks must grow: " + list);
    out.push_back(static_cast<int>(v));
  }
  if (out.empty()) return InvalidInput("--ranks needs at least one count, e.g. 1,2,4");
  return out;
}

// The pipeline: task ranks-N trains at N ranks, after the previous scale.
std::string scaling_pipeline(const std::string& config, const std::vector<int>& ranks, int per_node,
                             int batch, bool weak, std::int64_t steps) {
  std::string y =
      "apiVersion: slipway/v1\nkind: Pipeline\nname: scaling\n"
      "components:\n  train:\n"
      "    command: [slipway, train, \"{{inputs.config}}\", --steps, \"{{inputs.steps}}\", --set, "
      "\"batch_size={{inputs.batch}}\",\n"
      "              --timing, --no-progress, --metrics-out, \"{{outputs.metrics}}\"]\n"
      "    inputs: {config: Artifact, steps: int, batch: int}\n"
      "    outputs: {metrics: Metrics}\n"
      "tasks:\n";
  std::string previous;
  for (int r : ranks) {
    int nodes = per_node > 0 ? (r + per_node - 1) / per_node : 1;
    int tasks = per_node > 0 ? std::min(r, per_node) : r;
    std::string name = "ranks-" + std::to_string(r);
    y += "  " + name + ":\n    component: train\n    cache: false\n";
    y += "    resources: {nodes: " + std::to_string(nodes) +
         ", tasks_per_node: " + std::to_string(tasks) + ", cpus: 1}\n";
    y += "    inputs: {config: " + Json(config).dump() + ", steps: " + std::to_string(steps) +
         ", batch: " + std::to_string(weak ? batch * r : batch) + "}\n";
    if (!previous.empty()) y += "    after: [" + previous + "]\n";
    previous = name;
  }
  return y;
}

// Runs `slipway run FILE ...` with its stdout (the run document) in `out`; the live table of
// the run stays on the terminal.
int run_pipeline(const std::vector<std::string>& args, const std::string& out) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(127);
    std::string self = self_executable().string();
    std::vector<char*> argv = {const_cast<char*>(self.c_str()), const_cast<char*>("run")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(self.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int cmd_bench(const Args& args) {
  po::options_description opts("bench scaling options");
  opts.add_options()("what", po::value<std::string>()->required(), "scaling")(
      "config", po::value<std::string>()->required(), "a training config (slipway train)")(
      "ranks", po::value<std::string>()->default_value("1,2"), "rank counts, growing: 1,2,4,8")(
      "ranks-per-node", po::value<int>()->default_value(0),
      "ranks on one node (0: all on one node); more ranks use more nodes")(
      "mode", po::value<std::string>()->default_value("strong"),
      "strong (fixed global batch) or weak (batch grows with the ranks)")(
      "steps", po::value<std::int64_t>()->default_value(60),
      "training steps at each scale (the first few are not timed)")(
      "backend", po::value<std::string>()->default_value("local"), "local or slurm")(
      "out,o", po::value<std::string>()->default_value("scaling"),
      "directory for the pipeline, the run document, scaling.json and scaling.svg")(
      "output", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("what", 1).add("config", 1);
  po::variables_map vm;
  int rc = 0;
  const char* usage =
      "slipway bench scaling CONFIG.yaml [--ranks 1,2,4] [--ranks-per-node N] [--mode strong|weak] "
      "[--steps N]\n"
      "                      [--backend local|slurm] [-o DIR] [--output text|json]";
  if (!parse_args(args, usage, opts, pos, &vm, &rc)) return rc;
  auto mode_out = output_mode(vm);
  if (!mode_out) return 2;
  auto fail = [](const std::string& m) {
    std::fprintf(stderr, "slipway bench scaling: %s\n", m.c_str());
    return 2;
  };
  if (vm["what"].as<std::string>() != "scaling")
    return fail("unknown benchmark '" + vm["what"].as<std::string>() + "'; there is: scaling");
  std::string mode = vm["mode"].as<std::string>();
  if (mode != "strong" && mode != "weak") return fail("--mode must be strong or weak");
  bool weak = mode == "weak";
  auto ranks = parse_ranks(vm["ranks"].as<std::string>());
  if (!ranks.ok()) return fail(ranks.status().message());
  std::string config_path = fs::absolute(vm["config"].as<std::string>()).string();
  auto config = train::load_train_config(config_path);
  if (!config.ok()) return fail(config.status().message());
  int per_node = vm["ranks-per-node"].as<int>();
  if (per_node < 0) return fail("--ranks-per-node cannot be negative");
  for (int r : *ranks) {
    if (per_node > 0 && r > per_node && r % per_node != 0)
      return fail(std::to_string(r) + " ranks do not fill whole nodes of " +
                  std::to_string(per_node));
    if (!weak && config->batch_size % r != 0)
      return fail("the global batch " + std::to_string(config->batch_size) +
                  " does not divide among " + std::to_string(r) +
                  " ranks; strong scaling keeps it fixed, so choose rank counts that divide it (or "
                  "--mode weak)");
  }
  std::int64_t steps = vm["steps"].as<std::int64_t>();
  if (steps < 10)
    return fail("--steps must be at least 10 (the first steps warm up and are not timed)");
  fs::path dir = fs::absolute(vm["out"].as<std::string>());
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  std::string pipeline = (dir / "scaling.yaml").string();
  Status w = write_file_atomic(
      pipeline, scaling_pipeline(config_path, *ranks, per_node, config->batch_size, weak, steps));
  if (!w.ok()) return fail(w.message());
  std::string doc_path = (dir / "run.json").string();
  int run_rc = run_pipeline(
      {pipeline, "--backend", vm["backend"].as<std::string>(), "--output", "json"}, doc_path);
  auto doc_text = read_file(doc_path);
  Json doc = doc_text.ok() ? Json::parse(*doc_text, nullptr, false) : Json();
  if (run_rc != 0 || !doc.is_object()) {
    std::fprintf(stderr,
                 "slipway bench scaling: the scaling run did not succeed (exit %d); see %s and "
                 "`slipway runs show`\n",
                 run_rc, doc_path.c_str());
    return 1;
  }
  std::vector<ScalePoint> points;
  for (int r : *ranks) {
    Json metrics;
    for (const auto& t : doc["tasks"])
      if (t.value("name", "") == "ranks-" + std::to_string(r) && t.contains("outputs") &&
          t["outputs"].contains("metrics")) {
        auto m = read_file(t["outputs"]["metrics"].value("uri", ""));
        if (m.ok()) metrics = Json::parse(*m, nullptr, false);
      }
    if (!metrics.is_object() || !metrics.contains("step_seconds")) {
      std::fprintf(stderr, "slipway bench scaling: no timing metrics from the %d-rank task\n", r);
      return 1;
    }
    points.push_back({r, metrics.value("units_per_step", 0.0), metrics.value("step_seconds", 0.0),
                      metrics.value("exposed_comm_seconds_per_step", 0.0),
                      metrics.value("gradient_bytes", 0.0),
                      metrics.value("allreduce_alpha_seconds", 0.0),
                      metrics.value("allreduce_bandwidth_bytes_per_second", 0.0)});
  }
  std::string unit = config->model == "gpt" ? "tokens" : "samples";
  auto rows = scaling_table(points, weak);
  Json report = scaling_json(rows, unit, weak);
  report["run"] = doc.value("id", "");
  report["backend"] = vm["backend"].as<std::string>();
  report["config"] = config_path;
  for (const auto& p : points)
    if (p.bandwidth > 0)
      report["allreduce"] = {{"ranks", p.ranks},
                             {"alpha_seconds", p.alpha},
                             {"bandwidth_bytes_per_second", p.bandwidth}};
  for (auto [name, text] : {std::pair{"scaling.json", dump_json(report, 2)},
                            std::pair{"scaling.svg", scaling_svg(rows, unit, weak)}})
    if (Status w = write_file_atomic((dir / name).string(), text); !w.ok()) {
      std::fprintf(stderr, "slipway bench: cannot write the report: %s\n", w.message().c_str());
      return 1;
    }
  if (*mode_out == OutputMode::kJson) {
    print_json(report);
  } else {
    std::fputs(scaling_text(rows, unit, weak).c_str(), stdout);
    if (report.contains("allreduce"))
      std::printf("all-reduce measured at %d ranks: alpha %.1f us, bandwidth %.2f GB/s\n",
                  report["allreduce"]["ranks"].get<int>(),
                  1e6 * report["allreduce"]["alpha_seconds"].get<double>(),
                  1e-9 * report["allreduce"]["bandwidth_bytes_per_second"].get<double>());
    std::printf("plot: %s\n", (dir / "scaling.svg").c_str());
  }
  return 0;
}

}  // namespace slipway::cli
