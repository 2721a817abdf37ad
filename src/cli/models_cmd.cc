// `slipway models`: the model registry — registered versions, their lineage and stages.
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/strings.h"
#include "ml/model_registry.h"

namespace slipway::cli {

namespace {

const char* kUsage =
    "slipway models ls [NAME] | show NAME [VERSION] | promote NAME VERSION [--stage "
    "production|staging|archived|none] | rollback NAME\n"
    "  [--output text|json]\n"
    "slipway models deploy -f INFERENCESERVICE.yaml... --backend k8s [--apply] | --backend slurm "
    "[--config SERVE.yaml] [--wait S] [-o json]\n"
    "slipway models deploy NAME [VERSION] --backend k8s [--apply] [--canary-percent P] "
    "[--min-replicas N] [--max-replicas N]\n"
    "  [--gpus G] [--deploy-name NAME]: a KServe InferenceService running `slipway serve` "
    "(printed, or applied)";

std::string metrics_text(const Json& m) {
  auto format_number = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", x);
    return std::string(buf);
  };
  std::string s;
  if (!m.is_object()) return s;
  for (const auto& [k, v] : m.items())
    if (v.is_number()) s += (s.empty() ? "" : " ") + k + "=" + format_number(v.get<double>());
  return s;
}

int list(store::Store& store, const std::string& name, OutputMode mode) {
  auto versions = store.list_model_versions(name);
  if (mode == OutputMode::kJson) {
    Json out = Json::array();
    for (const auto& v : versions) out.push_back(ml::model_version_json(v));
    print_json(out);
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"MODEL", "VERSION", "STAGE", "RUN", "METRICS", "REGISTERED"}};
  for (const auto& v : versions)
    rows.push_back({v.name, std::to_string(v.version), v.stage, v.run_id.empty() ? "-" : v.run_id,
                    metrics_text(v.metrics), format_age(v.created_ms)});
  print_table(rows);
  return 0;
}

int show(store::Store& store, const std::string& name, std::optional<int> version,
         OutputMode mode) {
  auto versions = store.list_model_versions(name);
  if (versions.empty()) {
    std::fprintf(stderr,
                 "slipway models: no model %s is registered (slipway models ls lists them)\n",
                 name.c_str());
    return 1;
  }
  Json doc = {{"name", name}, {"versions", Json::array()}, {"history", Json::array()}};
  for (const auto& v : versions)
    if (!version || v.version == *version) doc["versions"].push_back(ml::model_version_json(v));
  if (doc["versions"].empty()) {
    std::fprintf(stderr, "slipway models: model %s has no version %d\n", name.c_str(), *version);
    return 1;
  }
  for (const auto& e : store.stage_history(name))
    doc["history"].push_back(
        {{"version", e.version}, {"stage", e.stage}, {"reason", e.reason}, {"at_ms", e.at_ms}});
  if (mode == OutputMode::kJson) {
    print_json(doc);
    return 0;
  }
  for (const auto& v : doc["versions"]) {
    std::printf("%s version %d: %s\n", name.c_str(), v["version"].get<int>(),
                v["stage"].get<std::string>().c_str());
    std::printf("  files     %s (sha256 %s)\n", v["uri"].get<std::string>().c_str(),
                v["digest"].get<std::string>().substr(0, 12).c_str());
    if (!v["run"].get<std::string>().empty())
      std::printf("  produced  by run %s, task %s%s\n", v["run"].get<std::string>().c_str(),
                  v["task"].get<std::string>().c_str(),
                  v["artifact"].get<std::int64_t>()
                      ? (", artifact " + std::to_string(v["artifact"].get<std::int64_t>())).c_str()
                      : "");
    if (!v["metrics"].empty()) std::printf("  metrics   %s\n", metrics_text(v["metrics"]).c_str());
    std::printf("  drift     %s\n",
                v["reference_features"].get<size_t>()
                    ? (std::to_string(v["reference_features"].get<size_t>()) +
                       " features with reference statistics")
                          .c_str()
                    : "no reference statistics (register with --reference DATA)");
  }
  std::printf("stage history:\n");
  for (const auto& e : doc["history"])
    std::printf("  %s  version %d -> %s (%s)\n", format_age(e["at_ms"].get<std::int64_t>()).c_str(),
                e["version"].get<int>(), e["stage"].get<std::string>().c_str(),
                e["reason"].get<std::string>().c_str());
  return 0;
}

// The production version before the current one: the newest earlier promotion of another
// version still registered.
std::optional<int> previous_production(store::Store& store, const std::string& name, int current) {
  auto history = store.stage_history(name);
  for (auto it = history.rbegin(); it != history.rend(); ++it)
    if (it->stage == "production" && it->version != current &&
        store.get_model_version(name, it->version).ok())
      return it->version;
  return std::nullopt;
}

}  // namespace

int models_deploy(store::Store& store, const std::string& name, std::optional<int> version,
                  const po::variables_map& vm);
int models_deploy_files(const std::vector<std::string>& files, const po::variables_map& vm);

int cmd_models(const Args& args) {
  po::options_description opts("models options");
  opts.add_options()("action", po::value<std::string>()->required(),
                     "ls, show, promote, rollback, deploy")(
      "name", po::value<std::string>(), "model name")("version", po::value<int>(), "model version")(
      "stage", po::value<std::string>()->default_value("production"), "promote: the stage")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json")(
      "backend", po::value<std::string>()->default_value("k8s"), "deploy: k8s or slurm (-f)")(
      "apply", po::bool_switch(), "deploy: kubectl apply it")(
      "canary-percent", po::value<int>()->default_value(-1),
      "deploy: traffic to this version while it rolls out")(
      "min-replicas", po::value<int>()->default_value(1), "deploy")(
      "max-replicas", po::value<int>()->default_value(1), "deploy")(
      "gpus", po::value<int>()->default_value(0), "deploy: GPUs per replica")(
      "deploy-name", po::value<std::string>(),
      "deploy: the InferenceService's name (default: the model's)")(
      "filename,f", po::value<std::vector<std::string>>()->composing(),
      "deploy: KServe InferenceService files to deploy as they are (repeatable)")(
      "config", po::value<std::string>(), "deploy -f --backend slurm: the serving config")(
      "wait", po::value<int>()->default_value(300),
      "deploy -f --backend slurm: seconds to wait for the job to listen");
  po::positional_options_description pos;
  pos.add("action", 1).add("name", 1).add("version", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, kUsage, opts, pos, &vm, &rc)) return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  const std::string action = vm["action"].as<std::string>();
  const std::string name = vm.count("name") ? vm["name"].as<std::string>() : "";
  auto version = vm.count("version") ? std::optional<int>(vm["version"].as<int>()) : std::nullopt;
  if (action == "ls") return list(*store, name, *mode);
  if (action == "deploy" && vm.count("filename")) {
    if (!name.empty()) {
      std::fprintf(stderr, "slipway models deploy: give a model NAME or -f FILE, not both\n");
      return 2;
    }
    return models_deploy_files(vm["filename"].as<std::vector<std::string>>(), vm);
  }
  if (name.empty()) {
    std::fprintf(stderr, "slipway models %s: which model? (%s)\n", action.c_str(), kUsage);
    return 2;
  }
  if (action == "show") return show(*store, name, version, *mode);
  if (action == "deploy") return models_deploy(*store, name, version, vm);
  if (action == "promote") {
    if (!version) {
      std::fprintf(stderr, "slipway models promote: which version of %s?\n", name.c_str());
      return 2;
    }
    const std::string stage = vm["stage"].as<std::string>();
    if (Status s = store->set_model_stage(name, *version, stage, "promoted by hand"); !s.ok()) {
      std::fprintf(stderr, "slipway models promote: %s\n", s.message().c_str());
      return s.code() == ErrorCode::kInvalidInput ? 2 : 1;
    }
    std::printf("%s version %d is now %s\n", name.c_str(), *version, stage.c_str());
    return 0;
  }
  if (action == "rollback") {
    auto current = store->production_version(name);
    if (!current) {
      std::fprintf(stderr, "slipway models rollback: %s has no production version to roll back\n",
                   name.c_str());
      return 1;
    }
    auto previous = previous_production(*store, name, *current);
    if (!previous) {
      std::fprintf(stderr,
                   "slipway models rollback: %s version %d is the only version that was ever in "
                   "production\n",
                   name.c_str(), *current);
      return 1;
    }
    if (Status s = store->set_model_stage(name, *previous, "production",
                                          "rollback from version " + std::to_string(*current));
        !s.ok()) {
      std::fprintf(stderr, "slipway models rollback: %s\n", s.message().c_str());
      return 1;
    }
    std::printf("%s: production is version %d again (version %d archived)\n", name.c_str(),
                *previous, *current);
    return 0;
  }
  std::fprintf(stderr, "slipway models: unknown action '%s' (%s)\n", action.c_str(), kUsage);
  return 2;
}

}  // namespace slipway::cli
