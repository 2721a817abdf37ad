// From a task's bindings to the values it runs with: references resolved ({{params.x}},
// {{tasks.a.outputs.y}}, {{item}}, ...), values typed against the component's inputs, the command
// line rendered, and the cache key computed from what the task will actually see.
#include "dag/resolve.h"

#include <filesystem>

#include "core/hash.h"
#include "core/strings.h"

namespace slipway::dag {

namespace fs = std::filesystem;

// An artifact travels between tasks as a JSON object {"artifact": true, "id", "uri", "type",
// "sha256", ...} so that parameters and artifacts share one value type; this tells them apart.
bool is_artifact_value(const Json& v) {
  return v.is_object() && v.contains("artifact") && v["artifact"] == true;
}

// A value only known when the task starts (compiled pipelines read upstream outputs from their
// files at job start). The marker is a control byte (\x01) that YAML admits only as an escape,
// so a user's value does not carry it by accident.
Json deferred_file_value(const std::string& path) {
  return Json(std::string(1, kDeferredMark) + "file:" + path + std::string(1, kDeferredMark));
}

bool is_deferred(const Json& v) {
  return v.is_string() && v.get_ref<const std::string&>().find(kDeferredMark) != std::string::npos;
}

Result<Json> resolve_ref(const ResolveContext& ctx, const spec::Ref& ref) {
  switch (ref.scope) {
    case spec::Ref::Scope::kParam: {
      auto it = ctx.params->find(ref.name);
      if (it == ctx.params->end()) return InvalidInput("no pipeline parameter '" + ref.name + "'");
      return it->second;
    }
    case spec::Ref::Scope::kTaskOutput:
      if (!ref.alternatives.empty()) {
        // dsl.OneOf: the branch that ran. Conditions of an if/elif/else pick at most one.
        std::vector<std::string> tried;
        for (const auto& alt : ref.alternatives) {
          std::string status = ctx.task_status(alt.task);
          if (status == "SUCCEEDED") return ctx.task_output(alt.task, alt.name);
          tried.push_back(alt.task + " " + status);
        }
        return InvalidInput("{{" + ref.text + "}}: none of its tasks succeeded (" +
                            join(tried, ", ") + ")");
      }
      return ctx.task_output(ref.task, ref.name);
    case spec::Ref::Scope::kTaskStatus:
      return Json(ctx.task_status(ref.task));
    case spec::Ref::Scope::kItem: {
      const Json* item = ctx.item;
      if (!ref.loop.empty()) {
        if (!ctx.loop_items || !ctx.loop_items->count(ref.loop))
          return InvalidInput("{{" + ref.text + "}} outside loop '" + ref.loop + "'");
        item = &ctx.loop_items->at(ref.loop);
      }
      if (!item) return InvalidInput("{{item}} outside a fan-out");
      if (ref.field.empty()) return *item;
      if (!item->is_object() || !item->contains(ref.field))
        return InvalidInput("fan-out item " + item->dump() + " has no field '" + ref.field + "'");
      return (*item)[ref.field];
    }
    case spec::Ref::Scope::kRun:
      if (ref.name == "id") return Json(ctx.run_id);
      if (ref.name == "root") return Json(ctx.run_root);
      if (ref.name == "status") return Json(ctx.run_status);
      if (ref.name == "kfp_state") {
        // The state KFP's driver reports to an exit handler: ML Metadata's execution states.
        if (ctx.run_status == "SUCCEEDED") return Json("COMPLETE");
        if (ctx.run_status == "CANCELLED") return Json("CANCELED");
        return Json(ctx.run_status);
      }
      return Json(ctx.spec->name);
    case spec::Ref::Scope::kTask:
      if (ref.name == "name") return Json(ctx.task_name);
      if (ref.name == "attempt") return Json(ctx.attempt);
      return Json(ctx.item_index);
    case spec::Ref::Scope::kPipeline:
      return Json(ctx.spec->name);
    case spec::Ref::Scope::kInput:
    case spec::Ref::Scope::kOutput:
    case spec::Ref::Scope::kExecutorInput:
      break;  // only meaningful inside a component's command; render_command handles them
  }
  return InvalidInput("{{" + ref.text + "}} cannot be used here");
}

// A value as it appears on a command line: an artifact as its path, a list of artifacts (fan-in)
// as a JSON list of paths, null as nothing, anything else as render_param does.
static std::string render_text(const Json& v) {
  if (is_artifact_value(v)) return v["uri"].get<std::string>();
  if (v.is_array()) {
    bool all_artifacts = !v.empty();
    for (const auto& e : v) all_artifacts = all_artifacts && is_artifact_value(e);
    if (all_artifacts) {
      Json paths = Json::array();
      for (const auto& e : v) paths.push_back(e["uri"]);
      return dump_json(paths);
    }
  }
  if (v.is_null()) return "";
  return render_param(v);
}

static Result<Json> resolve_binding(const ResolveContext& ctx, const spec::Binding& b) {
  if (!b.is_template) return b.literal;
  // A binding that is exactly one reference keeps the referenced value's type (a list stays a
  // list); one with surrounding text becomes a string.
  if (b.tmpl.is_single_ref()) return resolve_ref(ctx, b.tmpl.parts[0].ref);
  std::string out;
  for (const auto& part : b.tmpl.parts) {
    if (!part.is_ref) {
      out += part.literal;
      continue;
    }
    auto v = resolve_ref(ctx, part.ref);
    if (!v.ok()) return v;
    out += render_text(*v);
  }
  return Json(out);
}

Result<Json> resolve_template_text(const ResolveContext& ctx, const std::string& text) {
  auto t = spec::parse_template(text);
  if (!t.ok()) return t.status();
  spec::Binding b;
  b.is_template = true;
  b.text = text;
  b.tmpl = *t;
  return resolve_binding(ctx, b);
}

static Result<Json> to_input_type(const ResolveContext& ctx, const spec::IoDecl& decl,
                                  const Json& v, const std::string& where) {
  if (v.is_null() || is_deferred(v)) return v;  // deferred values are typed at job start
  if (!decl.type.is_artifact) {
    if (is_artifact_value(v))
      return InvalidInput(where + " is a parameter but received an artifact");
    auto c = coerce_param(v, decl.type.param);
    if (!c.ok()) return InvalidInput(where + ": " + c.status().message());
    return c;
  }
  if (is_artifact_value(v) || v.is_array()) return v;
  // A path given where an artifact is expected (a pipeline parameter naming a file, the usual way
  // to feed data in) is imported into the store, so it gets a digest, lineage and a cache key.
  if (!v.is_string()) return InvalidInput(where + " expects a " + decl.type.artifact + " artifact");
  std::string path = v.get<std::string>();
  if (path.rfind("file://", 0) == 0) path = path.substr(7);
  fs::path p = path;
  if (p.is_relative()) p = fs::path(ctx.spec->base_dir) / p;
  auto imported = ctx.import_artifact(fs::weakly_canonical(p).string(), decl.type.artifact);
  if (!imported.ok())
    return InvalidInput(where + ": cannot use " + p.string() + " as a " + decl.type.artifact +
                        ": " + imported.status().message());
  return imported;
}

// Whether every task a binding reads from ended SUCCEEDED.
static bool upstream_succeeded(const ResolveContext& ctx, const spec::Binding& b) {
  if (!b.is_template) return true;
  for (const auto& part : b.tmpl.parts)
    if (part.is_ref && part.ref.scope == spec::Ref::Scope::kTaskOutput &&
        part.ref.alternatives.empty() && ctx.task_status(part.ref.task) != "SUCCEEDED")
      return false;
  return true;
}

Result<std::map<std::string, Json>> resolve_inputs(const ResolveContext& ctx,
                                                   const spec::Task& task,
                                                   const spec::Component& comp) {
  std::map<std::string, Json> out;
  for (const auto& decl : comp.inputs) {
    std::string where = "input '" + decl.name + "' of task '" + ctx.task_name + "'";
    auto it = task.inputs.find(decl.name);
    Json v;
    if (it != task.inputs.end() && task.ignore_upstream_failure &&
        !upstream_succeeded(ctx, it->second))
      it = task.inputs.end();  // KFP: the input falls back to its default
    if (it != task.inputs.end()) {
      auto r = resolve_binding(ctx, it->second);
      if (!r.ok()) return InvalidInput(where + ": " + r.status().message());
      v = *r;
    } else if (decl.default_value) {
      v = *decl.default_value;
    } else if (!decl.optional) {
      return InvalidInput(where + " is required and not set");
    }
    auto typed = to_input_type(ctx, decl, v, where);
    if (!typed.ok()) return typed.status();
    out[decl.name] = *typed;
  }
  return out;
}

Status apply_resource_inputs(const ResolveContext& ctx, const spec::Task& task,
                             spec::Resources* res) {
  for (const auto& [what, b] : task.resource_inputs) {
    auto v = resolve_binding(ctx, b);
    if (!v.ok()) return InvalidInput("resource " + what + ": " + v.status().message());
    std::string text = v->is_string() ? v->get<std::string>() : render_param(*v);
    if (Status s = spec::set_resource(res, what, text); !s.ok())
      return InvalidInput("resource " + what + " of task '" + ctx.task_name + "': " + s.message());
  }
  return Status::Ok();
}

Result<Json> resolve_for_each(const ResolveContext& ctx, const spec::Task& task) {
  return resolve_loop_items(ctx, task, *task.for_each);
}

Result<Json> resolve_loop_items(const ResolveContext& ctx, const spec::Task& task,
                                const spec::Binding& items_binding) {
  auto v = resolve_binding(ctx, items_binding);
  if (!v.ok()) return v;
  Json items = *v;
  // Upstream outputs arrive as text (a file's contents); a JSON list in it is the list to fan out.
  if (items.is_string()) {
    Json parsed = Json::parse(items.get<std::string>(), nullptr, false);
    if (!parsed.is_discarded()) items = parsed;
  }
  if (!items.is_array())
    return InvalidInput("for_each of task '" + task.name + "' needs a list, got " + v->dump());
  return items;
}

std::string executor_output_path(const std::string& outputs_dir) {
  return (fs::path(outputs_dir).parent_path() / "executor_output.json").string();
}

// KFP's ExecutorInput: input values and artifacts, and where each output goes.
Json executor_input(const spec::Component& comp, const std::map<std::string, Json>& inputs,
                    const std::map<std::string, std::string>& output_paths,
                    const std::string& output_file) {
  Json params = Json::object(), arts = Json::object();
  auto kfp_artifact = [](const std::string& name, const std::string& uri, const std::string& type,
                         const Json& meta) {
    return Json{{"name", name},
                {"uri", uri},
                {"metadata", meta},
                {"type", {{"schemaTitle", "system." + type}}}};
  };
  for (const auto& decl : comp.inputs) {
    auto it = inputs.find(decl.name);
    if (it == inputs.end() || it->second.is_null()) continue;
    if (!decl.type.is_artifact) {
      params[decl.name] = it->second;
      continue;
    }
    Json list = Json::array();
    for (const Json& a : it->second.is_array() ? it->second : Json::array({it->second}))
      if (is_artifact_value(a))
        list.push_back(kfp_artifact(decl.name, a["uri"], a.value("type", decl.type.artifact),
                                    a.value("metadata", Json::object())));
    arts[decl.name] = {{"artifacts", list}};
  }
  Json out_params = Json::object(), out_arts = Json::object();
  for (const auto& o : comp.outputs) {
    const std::string& path = output_paths.at(o.name);
    if (o.type.is_artifact)
      out_arts[o.name] = {{"artifacts", Json::array({kfp_artifact(o.name, path, o.type.artifact,
                                                                  Json::object())})}};
    else
      out_params[o.name] = {{"outputFile", path}};
  }
  return Json{{"inputs", {{"parameterValues", params}, {"artifacts", arts}}},
              {"outputs",
               {{"parameters", out_params}, {"artifacts", out_arts}, {"outputFile", output_file}}}};
}

// {{inputs.a.metadata}} is the metadata as JSON; {{inputs.a.metadata.KEY}} one entry, a string
// as itself and anything else as JSON ("null" when absent), as KFP renders it.
static std::string metadata_text(const Json& meta, const std::string& field) {
  if (field == "metadata") return dump_json(meta);
  std::string key = field.substr(9);
  if (!meta.is_object() || !meta.contains(key)) return "null";
  const Json& v = meta[key];
  return v.is_string() ? v.get<std::string>() : dump_json(v);
}

Result<CommandLine> render_command(const ResolveContext& ctx, const spec::Component& comp,
                                   const std::map<std::string, Json>& inputs,
                                   const std::string& outputs_dir, const std::string& self_exe) {
  CommandLine cl;
  for (const auto& o : comp.outputs)
    cl.output_paths[o.name] = (fs::path(outputs_dir) / o.name).string();
  auto render = [&](const std::string& s) -> Result<std::string> {
    auto t = spec::parse_template(s);
    if (!t.ok()) return t.status();
    std::string out;
    for (const auto& part : t->parts) {
      if (!part.is_ref) {
        out += part.literal;
        continue;
      }
      const spec::Ref& r = part.ref;
      if (r.scope == spec::Ref::Scope::kInput) {
        auto it = inputs.find(r.name);
        if (it == inputs.end()) return InvalidInput("no input '" + r.name + "'");
        if (r.field == "metadata" || starts_with(r.field, "metadata.")) {
          if (!is_artifact_value(it->second))
            return InvalidInput("input '" + r.name + "' is not an artifact, so it has no metadata");
          Json meta = it->second.value("metadata", Json::object());
          out += metadata_text(meta, r.field);
        } else {
          out += render_text(it->second);
        }
      } else if (r.scope == spec::Ref::Scope::kOutput) {
        // An output's metadata is what the task will write; before it runs there is none, as in
        // the ExecutorInput KFP gives a task.
        if (r.field == "metadata" || starts_with(r.field, "metadata."))
          out += metadata_text(Json::object(), r.field);
        else
          out += cl.output_paths[r.name];
      } else if (r.scope == spec::Ref::Scope::kExecutorInput) {
        std::string json = dump_json(
            executor_input(comp, inputs, cl.output_paths, executor_output_path(outputs_dir)));
        if (r.name == "input_escaped") {
          std::string quoted = Json(json).dump();  // "..." with quotes and backslashes escaped
          json = quoted.substr(1, quoted.size() - 2);
        }
        out += json;
      } else {
        auto v = resolve_ref(ctx, r);
        if (!v.ok()) return v.status();
        out += render_text(*v);
      }
    }
    return out;
  };
  for (const auto* list : {&comp.command, &comp.args}) {
    for (const auto& s : *list) {
      auto r = render(s);
      if (!r.ok()) return InvalidInput("component '" + comp.name + "': " + r.status().message());
      cl.argv.push_back(*r);
    }
  }
  // `slipway ...` as a step runs this very binary, not whatever `slipway` is first on PATH on the
  // node: a run never mixes two versions of the tool.
  if (!cl.argv.empty() && cl.argv[0] == "slipway") cl.argv[0] = self_exe;
  for (const auto& [k, v] : comp.env) {
    auto r = render(v);
    if (!r.ok())
      return InvalidInput("component '" + comp.name + "' env " + k + ": " + r.status().message());
    cl.env[k] = *r;
  }
  return cl;
}

// A task of several ranks runs under `slipway launch`, which starts the ranks (or finds them
// already started by srun or mpirun), places them and binds them.
void wrap_multi_rank(const spec::Resources& res, const std::string& self_exe,
                     std::vector<std::string>* argv) {
  if (res.nodes * res.tasks_per_node <= 1 || argv->empty()) return;
  argv->insert(argv->begin(), {self_exe, "launch", "--nproc", std::to_string(res.tasks_per_node),
                               "--gpus-per-rank", std::to_string(res.gpus), "--"});
}

// Artifacts contribute their digest and type, never their path: the same bytes at another
// path hit, and changed bytes at the same path miss.
static Json cache_view(const Json& v) {
  if (is_artifact_value(v)) return Json{{"sha256", v["sha256"]}, {"type", v["type"]}};
  if (v.is_array()) {
    Json a = Json::array();
    for (const auto& e : v) a.push_back(cache_view(e));
    return a;
  }
  return v;
}

std::string cache_key(const spec::Component& comp, const std::map<std::string, Json>& inputs,
                      const std::string& user_key) {
  Json k;
  k["v"] = 1;  // bumped if what goes into the key changes, so old entries stop matching
  if (!user_key.empty()) {
    // Kubeflow's cacheKey: the user's key stands for command and inputs; tasks sharing it
    // share results. The outputs still decide what a hit must provide.
    Json outs = Json::array();
    for (const auto& o : comp.outputs) outs.push_back({o.name, o.type.to_string()});
    return sha256_hex(dump_json(Json{{"v", 1}, {"user_key", user_key}, {"outputs", outs}}));
  }
  k["command"] = comp.command;
  k["args"] = comp.args;
  k["image"] = comp.image;
  k["env"] = comp.env;
  Json outs = Json::array();
  for (const auto& o : comp.outputs) outs.push_back({o.name, o.type.to_string()});
  k["outputs"] = outs;
  Json in = Json::object();
  for (const auto& [name, v] : inputs) in[name] = cache_view(v);
  k["inputs"] = in;
  return sha256_hex(dump_json(k));
}

}  // namespace slipway::dag
