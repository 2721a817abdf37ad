#include "tune/argo_trial.h"

#include <regex>
#include <set>
#include <vector>

#include "core/strings.h"

namespace slipway::tune {

namespace {

// Runs a task's command in the Experiment's folder as a trial command runs, exporting its own
// folder as $SLIPWAY_TRIAL_DIR; with a result file, standard output is also kept there (Argo's
// outputs.result), the command's exit status kept through the pipe.
const char* kInFolder = "export SLIPWAY_TRIAL_DIR=\"$PWD\"; cd \"$1\" && shift && exec \"$@\"";
const char* kInFolderKeepingOutput =
    "export SLIPWAY_TRIAL_DIR=\"$PWD\"; result=\"$1\"; cd \"$2\" && shift 2 && set -o pipefail && "
    "\"$@\" | tee \"$result\"";
// Argo runs a script template's source as a file given to its command.
const char* kScript = "f=$(mktemp) && printf '%s' \"$1\" > \"$f\" && shift && \"$@\" \"$f\"";

// Argo's {{...}} references in slipway's words.
std::string translate(const std::string& text) {
  static const std::regex kInput(R"(\{\{\s*inputs\.parameters\.([A-Za-z0-9_-]+)\s*\}\})");
  static const std::regex kResult(
      R"(\{\{\s*(?:steps|tasks)\.([A-Za-z0-9_-]+)\.outputs\.result\s*\}\})");
  static const std::regex kWorkflow(R"(\{\{\s*workflow\.parameters\.([A-Za-z0-9_-]+)\s*\}\})");
  std::string out = std::regex_replace(text, kInput, "{{inputs.$1}}");
  out = std::regex_replace(out, kResult, "{{tasks.$1.outputs.result}}");
  return std::regex_replace(out, kWorkflow, "{{params.$1}}");
}

struct Converter {
  const YamlReader& r;
  std::map<std::string, YAML::Node> templates;
  std::set<std::string> results_used;  // steps whose standard output another step reads
  std::string workdir;

  Result<Json> component(const std::string& name, const YAML::Node& at) {
    auto it = templates.find(name);
    if (it == templates.end()) return r.where(at, "the Workflow has no template '" + name + "'");
    const YAML::Node t = it->second;
    Json c = Json::object();
    std::vector<std::string> cmd;
    if (YAML::Node ct = t["container"]) {
      for (const char* key : {"command", "args"})
        if (ct[key])
          for (const auto& a : ct[key]) cmd.push_back(translate(a.Scalar()));
      if (ct["image"]) c["image"] = ct["image"].Scalar();
      if (YAML::Node env = ct["env"])
        for (const auto& e : env)
          if (e["name"] && e["value"])
            c["env"][e["name"].Scalar()] = translate(e["value"].Scalar());
    } else if (YAML::Node sc = t["script"]) {
      cmd = {"sh", "-c", kScript, "sh", translate(sc["source"] ? sc["source"].Scalar() : "")};
      if (sc["command"])
        for (const auto& a : sc["command"]) cmd.push_back(translate(a.Scalar()));
      else
        cmd.push_back("sh");
      if (sc["image"]) c["image"] = sc["image"].Scalar();
    } else {
      return r.where(t, "template '" + name +
                            "' is neither a container nor a script; a Workflow trial's steps run "
                            "containers and scripts (steps and DAGs only at the entrypoint)");
    }
    if (cmd.empty()) return r.where(t, "template '" + name + "' has no command to run");
    c["inputs"] = Json::object();
    if (t["inputs"] && t["inputs"]["parameters"])
      for (const auto& p : t["inputs"]["parameters"]) {
        Json in = {{"type", "string"}};
        if (p["value"]) in["default"] = translate(p["value"].Scalar());
        c["inputs"][p["name"].Scalar()] = in;
      }
    c["cmd"] = cmd;
    return c;
  }

  Result<Json> task(const YAML::Node& step, const std::string& task_name) {
    if (!step["template"])
      return r.where(step, "step '" + task_name + "' names no template (templateRef is not read)");
    for (const char* unsupported : {"withItems", "withParam", "withSequence", "when", "onExit"})
      if (step[unsupported])
        return r.where(step, "step '" + task_name + "' uses " + unsupported +
                                 ", which a Workflow trial does not support here");
    auto c = component(step["template"].Scalar(), step);
    if (!c.ok()) return c.status();
    Json comp = *c;
    std::vector<std::string> cmd = comp["cmd"].get<std::vector<std::string>>();
    comp.erase("cmd");
    Json command;
    if (results_used.count(task_name)) {
      command = Json::array(
          {"bash", "-c", kInFolderKeepingOutput, "bash", "{{outputs.result}}", workdir});
      comp["outputs"] = {{"result", "string"}};
    } else {
      command = Json::array({"sh", "-c", kInFolder, "sh", workdir});
    }
    for (const auto& a : cmd) command.push_back(a);
    comp["command"] = command;
    Json t = {{"component", comp}, {"cache", false}, {"inputs", Json::object()}};
    if (step["arguments"] && step["arguments"]["parameters"])
      for (const auto& p : step["arguments"]["parameters"])
        t["inputs"][p["name"].Scalar()] = translate(p["value"] ? p["value"].Scalar() : "");
    return t;
  }
};

}  // namespace

Result<ArgoTrial> argo_trial_pipeline(const YamlReader& r, const YAML::Node& workflow,
                                      const std::map<std::string, std::string>& primary_labels,
                                      const std::string& name, const std::string& workdir) {
  const YAML::Node spec = workflow["spec"];
  if (!spec || !spec["templates"] || !spec["entrypoint"])
    return r.where(workflow, "the Argo Workflow needs spec.entrypoint and spec.templates");
  Converter cv{r, {}, {}, workdir};
  for (const auto& t : spec["templates"])
    if (t["name"]) cv.templates.emplace(t["name"].Scalar(), static_cast<const YAML::Node&>(t));
  static const std::regex kResult(R"(\{\{\s*(?:steps|tasks)\.([A-Za-z0-9_-]+)\.outputs\.result)");
  const std::string text = YAML::Dump(spec);
  for (std::sregex_iterator it(text.begin(), text.end(), kResult), end; it != end; ++it)
    cv.results_used.insert((*it)[1].str());

  const std::string entry = spec["entrypoint"].Scalar();
  auto e = cv.templates.find(entry);
  if (e == cv.templates.end())
    return r.where(spec, "the Workflow's entrypoint '" + entry + "' is not one of its templates");
  const YAML::Node root = e->second;
  ArgoTrial out;
  Json tasks = Json::object();
  // Which template the metrics come from: the one whose labels carry all of primaryPodLabels.
  auto is_primary = [&](const std::string& tmpl) {
    if (primary_labels.empty()) return false;
    const YAML::Node t = cv.templates[tmpl];
    const YAML::Node labels = t["metadata"] ? t["metadata"]["labels"] : YAML::Node();
    if (!labels) return false;
    for (const auto& [k, v] : primary_labels)
      if (!labels[k] || labels[k].Scalar() != v) return false;
    return true;
  };
  auto add = [&](const YAML::Node& step, const std::vector<std::string>& after) -> Status {
    const std::string step_name = step["name"] ? step["name"].Scalar() : "";
    if (step_name.empty()) return r.where(step, "a step of the Workflow has no name");
    auto t = cv.task(step, step_name);
    if (!t.ok()) return t.status();
    if (!after.empty()) (*t)["after"] = after;
    tasks[step_name] = *t;
    if (out.metrics_task.empty() && step["template"] && is_primary(step["template"].Scalar()))
      out.metrics_task = step_name;
    return Status::Ok();
  };
  if (YAML::Node steps = root["steps"]) {
    std::vector<std::string> previous;
    for (const auto& group : steps) {
      std::vector<std::string> names;
      for (const auto& step : group) {
        SLIPWAY_RETURN_IF_ERROR(add(step, previous));
        names.push_back(step["name"].Scalar());
      }
      previous = names;
    }
  } else if (YAML::Node dag = root["dag"]) {
    for (const auto& t : dag["tasks"]) {
      std::vector<std::string> deps;
      if (t["dependencies"])
        for (const auto& d : t["dependencies"]) deps.push_back(d.Scalar());
      if (t["depends"])
        return r.where(t, "dag task '" + (t["name"] ? t["name"].Scalar() : std::string()) +
                              "' uses depends expressions; list its dependencies instead");
      SLIPWAY_RETURN_IF_ERROR(add(t, deps));
    }
  } else {
    // A Workflow of one container or script template.
    YAML::Node step;
    step["name"] = entry;
    step["template"] = entry;
    SLIPWAY_RETURN_IF_ERROR(add(step, {}));
    out.metrics_task = entry;
  }
  if (out.metrics_task.empty())
    return r.where(workflow, primary_labels.empty()
                                 ? "which step's output holds the metrics? Katib's trialTemplate."
                                   "primaryPodLabels name the labels of that step's template"
                                 : "no template of the Workflow carries the primaryPodLabels (" +
                                       join(
                                           [&] {
                                             std::vector<std::string> kv;
                                             for (const auto& [k, v] : primary_labels)
                                               kv.push_back(k + ": " + v);
                                             return kv;
                                           }(),
                                           ", ") +
                                       ") that mark the step whose output holds the metrics");
  Json params = Json::object();
  if (spec["arguments"] && spec["arguments"]["parameters"])
    for (const auto& p : spec["arguments"]["parameters"])
      params[p["name"].Scalar()] = {{"type", "string"},
                                    {"default", p["value"] ? p["value"].Scalar() : ""}};
  out.pipeline = {
      {"apiVersion", "slipway/v1"}, {"kind", "Pipeline"}, {"name", name}, {"tasks", tasks}};
  if (!params.empty()) out.pipeline["params"] = params;
  return out;
}

}  // namespace slipway::tune
