// `slipway schedules`: recurring runs. They are stored here and fired by `slipway server`.
#include <cstdio>
#include <filesystem>

#include "cli/common.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/units.h"
#include "runs/run_control.h"

namespace slipway::cli {

namespace {

const char* kUsage =
    "slipway schedules create FILE (--cron EXPR | --every DURATION) [--max-concurrency N] "
    "[--catch-up] [--cache] [--name N] [--experiment E]\n"
    "                            [--namespace NS] [-p NAME=VALUE]... | ls | show ID | enable ID | "
    "disable ID | delete ID  [--output text|json]";

}  // namespace

int cmd_schedules(const Args& args) {
  po::options_description opts("schedules options");
  opts.add_options()("verb", po::value<std::string>()->required(),
                     "create, ls, show, enable, disable, delete")(
      "target", po::value<std::string>(), "the pipeline file (create) or the schedule id")(
      "cron", po::value<std::string>()->default_value(""),
      "cron expression, UTC (\"0 3 * * *\", @hourly)")(
      "every", po::value<std::string>()->default_value(""), "interval (\"90s\", \"15m\", \"6h\")")(
      "max-concurrency", po::value<int>()->default_value(1),
      "at most this many of its runs active at once")(
      "catch-up", po::bool_switch(),
      "after a pause, fire every missed tick (default: only the latest)")(
      "cache", po::bool_switch(),
      "let its runs reuse cached task results (default: every run runs every task)")(
      "name", po::value<std::string>()->default_value(""),
      "the schedule's name (default: the pipeline's)")(
      "experiment", po::value<std::string>()->default_value("Default"),
      "experiment to file its runs under")(
      "backend", po::value<std::string>()->default_value("local"), "local, slurm or k8s")(
      "namespace", po::value<std::string>()->default_value("default"),
      "the namespace that owns its runs")(
      "param,p", po::value<std::vector<std::string>>()->composing(), "NAME=VALUE, repeatable")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("verb", 1).add("target", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, kUsage, opts, pos, &vm, &rc)) return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  const std::string verb = vm["verb"].as<std::string>();
  static const std::vector<std::string> kVerbs = {"create", "ls",      "show",
                                                  "enable", "disable", "delete"};
  if (std::find(kVerbs.begin(), kVerbs.end(), verb) == kVerbs.end()) {
    std::fprintf(stderr, "slipway schedules: unknown verb '%s'; usage: %s\n", verb.c_str(), kUsage);
    return 2;
  }
  if (verb != "ls" && !vm.count("target")) {
    std::fprintf(stderr, "slipway schedules %s: %s? usage: %s\n", verb.c_str(),
                 verb == "create" ? "which pipeline file" : "which schedule", kUsage);
    return 2;
  }
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  if (verb == "create") {
    const std::string file = vm["target"].as<std::string>();
    auto text = read_file(file);
    if (!text.ok()) {
      std::fprintf(stderr, "slipway: %s\n", text.status().message().c_str());
      return 2;
    }
    runs::NewSchedule n;
    n.run.source = *text;
    n.run.file = std::filesystem::absolute(file).string();
    auto params = param_options_json(vm);
    if (!params) return 2;
    n.run.params = *params;
    n.run.experiment = vm["experiment"].as<std::string>();
    n.run.backend = vm["backend"].as<std::string>();
    n.run.ns = vm["namespace"].as<std::string>();
    n.name = vm["name"].as<std::string>();
    n.cron = vm["cron"].as<std::string>();
    n.every = vm["every"].as<std::string>();
    n.max_concurrency = vm["max-concurrency"].as<int>();
    n.catch_up = vm["catch-up"].as<bool>();
    n.run.no_cache = !vm["cache"].as<bool>();
    auto s = runs::create_schedule(*store, n, now_ms());
    if (!s.ok()) {
      std::fprintf(stderr, "slipway schedules create: %s\n", s.status().message().c_str());
      return s.status().code() == ErrorCode::kInvalidInput ? 2 : 1;
    }
    if (*mode == OutputMode::kJson)
      print_json(runs::schedule_json(*s, now_ms()));
    else
      std::printf("%s\n", s->id.c_str());
    return 0;
  }
  if (verb == "ls") {
    auto all = store->list_schedules("");
    if (*mode == OutputMode::kJson) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& s : all) arr.push_back(runs::schedule_json(s, now_ms()));
      print_json(arr);
      return 0;
    }
    std::vector<std::vector<std::string>> rows = {
        {"SCHEDULE", "NAME", "NAMESPACE", "WHEN", "MAX", "CATCH-UP", "ENABLED", "NEXT", "LAST"}};
    for (const auto& s : all) {
      auto j = runs::schedule_json(s, now_ms());
      rows.push_back(
          {s.id, s.name, s.ns,
           s.cron.empty() ? "every " + format_duration_ms(s.interval_s * 1000) : s.cron,
           std::to_string(s.max_concurrency), s.catch_up ? "yes" : "no", s.enabled ? "yes" : "no",
           j["next_fire"].is_null() ? "-" : j["next_fire"].get<std::string>().substr(0, 19),
           format_age(s.last_fired_ms)});
    }
    print_table(rows);
    return 0;
  }
  auto s = store->get_schedule(vm["target"].as<std::string>());
  if (!s.ok()) {
    std::fprintf(stderr, "slipway: %s\n", s.status().message().c_str());
    return s.status().code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  Status st;
  if (verb == "show") {
    print_json(runs::schedule_json(*s, now_ms()));
    return 0;
  }
  if (verb == "delete")
    st = store->delete_schedule(s->id);
  else
    st = store->set_schedule_enabled(s->id, verb == "enable");
  if (!st.ok()) {
    std::fprintf(stderr, "slipway: %s\n", st.message().c_str());
    return 1;
  }
  std::printf("schedule %s %s\n", s->id.c_str(),
              verb == "delete"   ? "deleted"
              : verb == "enable" ? "enabled"
                                 : "disabled");
  return 0;
}

}  // namespace slipway::cli
