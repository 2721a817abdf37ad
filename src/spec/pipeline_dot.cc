#include "spec/pipeline_dot.h"

#include "spec/validate.h"

namespace slipway::spec {

static std::string fill_for(const std::string& state) {
  if (state.rfind("SUCCEEDED", 0) == 0) return "#b7e4c7";
  if (state.rfind("FAILED", 0) == 0) return "#f4a6a6";
  if (state.rfind("UPSTREAM_FAILED", 0) == 0) return "#f8c99c";
  if (state.rfind("RUNNING", 0) == 0) return "#a9d6f5";
  if (state.rfind("SKIPPED", 0) == 0) return "#dddddd";
  if (state.rfind("CANCELLED", 0) == 0) return "#fbe7a1";
  return "#ffffff";
}

static std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string pipeline_dot(const PipelineSpec& spec,
                         const std::map<std::string, std::string>& states) {
  std::string out =
      "digraph " + quoted(spec.name) +
      " {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n";
  for (const auto& t : spec.tasks) {
    std::string label = t.name + "\\n" + t.component;
    if (t.for_each) label += "\\nfor each item";
    if (t.when) label += "\\nwhen " + t.when->text();
    auto it = states.find(t.name);
    std::string state = it == states.end() ? "" : it->second;
    if (!state.empty()) label += "\\n" + state;
    std::string style = t.is_finally ? "rounded,filled,dashed" : "rounded,filled";
    std::string shape = t.for_each ? "box3d" : "box";
    std::string escaped;
    for (char c : label) escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
    out += "  " + quoted(t.name) + " [label=\"" + escaped + "\", shape=" + shape + ", style=\"" +
           style + "\", fillcolor=\"" + fill_for(state) + "\"];\n";
  }
  std::map<std::string, bool> has_dependents;
  for (const auto& t : spec.tasks)
    for (const auto& d : task_dependencies(t)) {
      out += "  " + quoted(d) + " -> " + quoted(t.name) + ";\n";
      has_dependents[d] = true;
    }
  // Finally tasks run after everything else: draw that as dashed edges from the DAG's sinks.
  for (const auto& f : spec.tasks) {
    if (!f.is_finally) continue;
    for (const auto& t : spec.tasks)
      if (!t.is_finally && !has_dependents[t.name])
        out += "  " + quoted(t.name) + " -> " + quoted(f.name) + " [style=dashed, color=gray];\n";
  }
  return out + "}\n";
}

}  // namespace slipway::spec
