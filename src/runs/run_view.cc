#include "runs/run_view.h"

#include <map>

#include "core/clock.h"
#include "spec/load_pipeline.h"
#include "spec/pipeline_dot.h"

namespace slipway::runs {

nlohmann::json run_document(store::Store& store, const store::RunRecord& run) {
  using Json = nlohmann::json;
  Json doc;
  doc["id"] = run.id;
  doc["pipeline"] = run.pipeline;
  doc["pipeline_file"] = run.pipeline_file;
  doc["experiment"] = run.experiment;
  doc["state"] = run.state;
  doc["backend"] = run.backend;
  doc["params"] = run.params;
  doc["options"] = run.options;
  doc["root"] = run.root;
  doc["created"] = iso8601_ms(run.created_ms);
  doc["started"] = iso8601_ms(run.started_ms);
  doc["finished"] = iso8601_ms(run.finished_ms);
  doc["duration_ms"] = run.finished_ms && run.started_ms ? run.finished_ms - run.started_ms : 0;
  if (!run.message.empty()) doc["message"] = run.message;
  Json tasks = Json::array();
  for (const auto& t : store.list_tasks(run.id)) {
    Json o = {{"name", t.name},
              {"template", t.templ},
              {"state", t.state},
              {"cached", t.cached},
              {"attempts", t.attempts},
              {"outputs", t.outputs},
              {"started", iso8601_ms(t.started_ms)},
              {"finished", iso8601_ms(t.finished_ms)},
              {"message", t.message},
              {"backend_id", t.backend_id}};
    if (t.item_index >= 0) o["item_index"] = t.item_index;
    tasks.push_back(std::move(o));
  }
  doc["tasks"] = tasks;
  Json metrics = Json::object();
  for (const auto& m : store.list_metrics(run.id)) metrics[m.task][m.name] = m.value;
  doc["metrics"] = metrics;
  return doc;
}

std::vector<dag::TaskView> task_views(store::Store& store, const std::string& run_id) {
  std::vector<dag::TaskView> out;
  std::map<std::string, size_t> group_row;
  for (const auto& t : store.list_tasks(run_id)) {
    if (t.item_index >= 0) {
      auto it = group_row.find(t.templ);
      if (it != group_row.end()) {
        dag::TaskView& g = out[it->second];
        ++g.items_total;
        g.attempts += t.attempts;
        if (t.state == "SUCCEEDED" || t.state == "FAILED" || t.state == "SKIPPED" ||
            t.state == "UPSTREAM_FAILED" || t.state == "CANCELLED")
          ++g.items_done;
      }
      continue;
    }
    dag::TaskView v;
    v.name = t.name;
    v.state = dag::task_state_from_string(t.state);
    v.attempts = t.attempts;
    v.cached = t.cached;
    v.started_ms = t.started_ms;
    v.finished_ms = t.finished_ms;
    v.message = t.message;
    group_row[t.name] = out.size();
    out.push_back(v);
  }
  for (auto& v : out) v.is_group = v.items_total > 0;
  return out;
}

Result<std::string> run_dot(store::Store& store, const store::RunRecord& run) {
  spec::LoadedPipeline p = spec::load_pipeline_text(run.source, run.pipeline_file);
  if (!p.spec) return Failed(p.diagnostics.to_string());
  std::map<std::string, std::string> states;
  for (const auto& v : task_views(store, run.id))
    states[v.name] =
        std::string(to_string(v.state)) + (v.cached ? " (cached)" : "") +
        (v.is_group ? " " + std::to_string(v.items_done) + "/" + std::to_string(v.items_total)
                    : "");
  return spec::pipeline_dot(*p.spec, states);
}

}  // namespace slipway::runs
