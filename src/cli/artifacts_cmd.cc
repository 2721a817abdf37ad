// `slipway artifacts ls|show` and `slipway lineage`.
#include <cstdio>
#include <functional>
#include <set>

#include "cli/common.h"
#include "core/json.h"
#include "core/status.h"

namespace slipway::cli {

namespace {

using Json = nlohmann::json;

Json artifact_json(const store::ArtifactRecord& a) {
  return {{"id", a.id},         {"run", a.run_id}, {"task", a.task},
          {"name", a.name},     {"type", a.type},  {"uri", a.uri},
          {"sha256", a.sha256}, {"size", a.size},  {"metadata", a.metadata}};
}

std::string short_sha(const std::string& s) { return s.substr(0, 12); }

}  // namespace

int cmd_artifacts(const Args& args) {
  po::options_description opts("artifacts options");
  opts.add_options()("verb", po::value<std::string>()->required(), "ls or show")(
      "id", po::value<std::int64_t>(), "artifact id, for show")(
      "run", po::value<std::string>()->default_value(""), "ls: only this run's artifacts")(
      "limit", po::value<int>()->default_value(100), "ls: at most this many")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("verb", 1).add("id", 1);
  po::variables_map vm;
  int rc = 0;
  const char* usage = "slipway artifacts ls [--run RUN] | show ID  [--output text|json]";
  if (!parse_args(args, usage, opts, pos, &vm, &rc)) return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  std::string verb = vm["verb"].as<std::string>();
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  if (verb == "ls") {
    std::string run_id = vm["run"].as<std::string>();
    if (!run_id.empty()) {
      auto r = store->get_run(run_id);
      if (!r.ok()) {
        std::fprintf(stderr, "slipway: %s\n", r.status().message().c_str());
        return 1;
      }
      run_id = r->id;
    }
    auto list = store->list_artifacts(run_id, vm["limit"].as<int>());
    if (*mode == OutputMode::kJson) {
      Json arr = Json::array();
      for (const auto& a : list) arr.push_back(artifact_json(a));
      print_json(arr);
      return 0;
    }
    std::vector<std::vector<std::string>> rows = {
        {"ID", "RUN", "TASK", "NAME", "TYPE", "SIZE", "SHA256", "URI"}};
    for (const auto& a : list)
      rows.push_back({std::to_string(a.id), a.run_id, a.task.empty() ? "(import)" : a.task, a.name,
                      a.type, std::to_string(a.size), short_sha(a.sha256), a.uri});
    print_table(rows);
    return 0;
  }
  if (verb == "show") {
    if (!vm.count("id")) {
      std::fprintf(stderr, "slipway artifacts show: which artifact? usage: %s\n", usage);
      return 2;
    }
    auto a = store->get_artifact(vm["id"].as<std::int64_t>());
    if (!a.ok()) {
      std::fprintf(stderr, "slipway: %s\n", a.status().message().c_str());
      return 1;
    }
    Json j = artifact_json(*a);
    Json edges = Json::array();
    for (const auto& e : store->lineage_of_artifact(a->id))
      edges.push_back(
          {{"run", e.run_id}, {"task", e.task}, {"direction", e.direction}, {"name", e.name}});
    j["lineage"] = edges;
    if (*mode == OutputMode::kJson) {
      print_json(j);
    } else {
      std::printf(
          "artifact %lld: %s (%s)\n  uri:    %s\n  sha256: %s\n  size:   %lld bytes\n  run:    %s  "
          "task: %s\n",
          static_cast<long long>(a->id), a->name.c_str(), a->type.c_str(), a->uri.c_str(),
          a->sha256.c_str(), static_cast<long long>(a->size), a->run_id.c_str(),
          a->task.empty() ? "(import)" : a->task.c_str());
      if (!a->metadata.empty()) std::printf("  metadata: %s\n", dump_json(a->metadata).c_str());
      for (const auto& e : edges)
        std::printf("  %s of %s/%s as '%s'\n", e["direction"].get<std::string>().c_str(),
                    e["run"].get<std::string>().c_str(), e["task"].get<std::string>().c_str(),
                    e["name"].get<std::string>().c_str());
    }
    return 0;
  }
  std::fprintf(stderr, "slipway artifacts: unknown verb '%s'; usage: %s\n", verb.c_str(), usage);
  return 2;
}

int cmd_lineage(const Args& args) {
  po::options_description opts("lineage options");
  opts.add_options()("id", po::value<std::int64_t>()->required(),
                     "artifact id (see slipway artifacts ls)")(
      "output,o", po::value<std::string>()->default_value("text"), "text or json");
  po::positional_options_description pos;
  pos.add("id", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, "slipway lineage ARTIFACT [--output text|json]", opts, pos, &vm, &rc))
    return rc;
  auto mode = output_mode(vm);
  if (!mode) return 2;
  auto store = open_store_or_die(&rc);
  if (!store) return rc;

  // Upstream: artifact <- producing execution <- its input artifacts <- ... (each shown once).
  std::set<std::int64_t> seen;
  std::function<Result<Json>(std::int64_t)> upstream = [&](std::int64_t id) -> Result<Json> {
    auto a = store->get_artifact(id);
    if (!a.ok()) return a.status();
    Json node = artifact_json(*a);
    if (!seen.insert(id).second) return node;
    Json consumers = Json::array();
    for (const auto& e : store->lineage_of_artifact(id)) {
      if (e.direction == "input") {
        consumers.push_back({{"run", e.run_id}, {"task", e.task}, {"as", e.name}});
        continue;
      }
      auto task = store->get_task(e.run_id, e.task);
      Json exec = {{"run", e.run_id},
                   {"task", e.task},
                   {"as", e.name},
                   {"state", task.ok() ? task->state : "?"},
                   {"cached", task.ok() && task->cached}};
      Json inputs = Json::array();
      // A cached execution points at the artifact its original run produced; that run's
      // execution carries the inputs.
      for (const auto& in : store->lineage_of_task(e.run_id, e.task)) {
        if (in.direction != "input") continue;
        auto up = upstream(in.artifact_id);
        if (up.ok()) inputs.push_back({{"as", in.name}, {"artifact", *up}});
      }
      exec["inputs"] = inputs;
      node["produced_by"].push_back(exec);
    }
    node["consumed_by"] = consumers;
    return node;
  };
  auto tree = upstream(vm["id"].as<std::int64_t>());
  if (!tree.ok()) {
    std::fprintf(stderr, "slipway: %s\n", tree.status().message().c_str());
    return 1;
  }
  if (*mode == OutputMode::kJson) {
    print_json(*tree);
    return 0;
  }
  std::function<void(const Json&, int)> show = [&](const Json& n, int depth) {
    std::string pad(static_cast<size_t>(depth) * 2, ' ');
    std::printf("%sartifact %lld %s (%s) sha256:%s %s\n", pad.c_str(), n["id"].get<long long>(),
                n["name"].get<std::string>().c_str(), n["type"].get<std::string>().c_str(),
                short_sha(n["sha256"].get<std::string>()).c_str(),
                n["uri"].get<std::string>().c_str());
    if (n.contains("produced_by"))
      for (const auto& e : n["produced_by"]) {
        std::printf("%s  <- output '%s' of %s/%s (%s%s)\n", pad.c_str(),
                    e["as"].get<std::string>().c_str(), e["run"].get<std::string>().c_str(),
                    e["task"].get<std::string>().c_str(), e["state"].get<std::string>().c_str(),
                    e["cached"].get<bool>() ? ", cached" : "");
        for (const auto& in : e["inputs"]) {
          std::printf("%s     from input '%s':\n", pad.c_str(),
                      in["as"].get<std::string>().c_str());
          show(in["artifact"], depth + 3);
        }
      }
    if (depth == 0 && n.contains("consumed_by"))
      for (const auto& c : n["consumed_by"])
        std::printf("  -> input '%s' of %s/%s\n", c["as"].get<std::string>().c_str(),
                    c["run"].get<std::string>().c_str(), c["task"].get<std::string>().c_str());
  };
  show(*tree, 0);
  return 0;
}

}  // namespace slipway::cli
