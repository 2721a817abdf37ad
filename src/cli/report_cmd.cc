// `slipway validate --report DIR`: every pipeline file under DIR, whether it imports, which
// features it uses, and whether it can run on this machine.
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "cli/common.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/subprocess.h"
#include "spec/kfp_document.h"

namespace slipway::cli {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// Features by what the file says (raw text), so files that fail to import are described too.
std::vector<std::string> features_of(const std::string& text) {
  static const std::vector<std::pair<const char*, const char*>> kMarks = {
      {"kfp.dsl.executor_main", "python-components"},
      {"triggerPolicy:\n", "triggerPolicy"},
      {"condition:", "conditions"},
      {"parameterIterator:", "parallel-for"},
      {"ALL_UPSTREAM_TASKS_COMPLETED", "exit-handler"},
      {"retryPolicy:", "retries"},
      {"enableCache: false", "cache-disabled"},
      {"importer:", "importer"},
      {"resolver:", "resolver"},
      {"IfPresent", "if-present"},
      {"Concat", "concat"},
      {"taskFinalStatus", "task-final-status"},
      {"cacheKey:", "cache-key"},
      {"accelerator", "accelerators"},
      {"platforms:", "kubernetes-platform"},
      {"dsl.Collected", "collected"},
      {"artifactIterator:", "artifact-loop"},
      {"for_each:", "fan-out"},
      {"finally:", "finally"},
      {"when:", "when"}};
  std::set<std::string> out;
  for (const auto& [mark, name] : kMarks)
    if (text.find(mark) != std::string::npos) out.insert(name);
  return {out.begin(), out.end()};
}

}  // namespace

int validate_report(const std::string& dir, OutputMode mode) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    auto ext = it->path().extension();
    if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
      files.push_back(it->path());
  }
  if (ec) {
    std::fprintf(stderr, "slipway: cannot read %s: %s\n", dir.c_str(), ec.message().c_str());
    return 2;
  }
  std::sort(files.begin(), files.end());
  Json rows = Json::array();
  int imported = 0, runnable = 0;
  std::map<std::string, int> feature_counts;
  for (const auto& f : files) {
    auto text = read_file(f);
    spec::LoadedPipeline p = spec::load_pipeline_file(f.string());
    Json row = {{"file", fs::relative(f, dir).string()}, {"imports", p.spec.has_value()}};
    row["format"] =
        p.spec ? p.spec->format : (text.ok() && spec::looks_like_kfp_ir(*text) ? "kfp" : "native");
    row["features"] = text.ok() ? features_of(*text) : std::vector<std::string>{};
    for (const auto& feat : row["features"]) ++feature_counts[feat.get<std::string>()];
    Json errors = Json::array();
    for (const auto& d : p.diagnostics.all())
      if (!d.warning) errors.push_back(d.to_string());
    row["errors"] = errors;
    std::vector<std::string> missing;
    if (p.spec) {
      ++imported;
      for (const auto& [_, c] : p.spec->components) {
        if (c.command.empty()) continue;
        std::string cmd =
            c.command[0] == "slipway" && c.command.size() > 3 && c.command[1] == "__pyenv"
                ? "python3"
                : c.command[0];
        if (cmd != "slipway" && !on_path(cmd) &&
            std::find(missing.begin(), missing.end(), cmd) == missing.end())
          missing.push_back(cmd);
      }
    }
    row["missing_commands"] = missing;
    row["runnable_here"] = p.spec.has_value() && missing.empty();
    runnable += row["runnable_here"].get<bool>();
    rows.push_back(row);
  }
  Json totals = {{"files", files.size()},
                 {"import", imported},
                 {"runnable_here", runnable},
                 {"features", feature_counts}};
  if (mode == OutputMode::kJson) {
    print_json({{"files", rows}, {"totals", totals}});
  } else {
    std::vector<std::vector<std::string>> table = {
        {"FILE", "FORMAT", "IMPORTS", "RUNNABLE", "FEATURES / FIRST ERROR"}};
    for (const auto& r : rows) {
      std::string note = r["errors"].empty()
                             ? join(r["features"].get<std::vector<std::string>>(), ",")
                             : r["errors"][0].get<std::string>();
      if (!r["missing_commands"].empty())
        note = "needs " + join(r["missing_commands"].get<std::vector<std::string>>(), ",") + "; " +
               note;
      if (note.size() > 110) note = note.substr(0, 107) + "...";
      table.push_back({r["file"], r["format"], r["imports"].get<bool>() ? "yes" : "no",
                       r["runnable_here"].get<bool>() ? "yes" : "no", note});
    }
    print_table(table);
    std::printf("\n%zu files: %d import, %d runnable here\n", files.size(), imported, runnable);
  }
  return 0;
}

}  // namespace slipway::cli
