#include "spec/kfp_importer.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <regex>
#include <set>

#include "core/strings.h"
#include "core/units.h"
#include "core/yaml_json.h"
#include "spec/kfp_document.h"
#include "spec/kfp_ir.h"
#include "spec/validate.h"

namespace slipway::spec {

namespace {

using kfp::at;
using kfp::binding_of;
using kfp::entries;
using kfp::Key;
using kfp::Source;

// One ParallelFor a task sits in: its items, how many iterations at once, and its id, which
// tasks of the loop share and {{loops.ID.item}} names.
struct LoopSource {
  Source items;
  int parallelism = 0;
  std::string id;
  SourceLoc loc;
};
// The ParallelFors a task sits in, outermost first.
struct Loop {
  std::vector<LoopSource> levels;
  bool active() const { return !levels.empty(); }
};

// The DAG a task is imported from: its node, its path, and the sources of its inputs (which the
// kfp-kubernetes settings of its tasks name, as KFP's driver reads them).
struct DagView {
  const YAML::Node& dag;
  const std::string& path;
  const std::map<std::string, Source>& scope;
};

class KfpImporter {
 public:
  KfpImporter(const KfpDocument& doc, std::string file, Diagnostics* d, PipelineSpec* spec)
      : doc_(doc.spec), platform_(doc.platform), file_(std::move(file)), d_(d), spec_(spec) {}

  void run() {
    spec_->format = "kfp";
    YAML::Node name = at(doc_, {"pipelineInfo", "name"});
    spec_->name = name && name.IsScalar() ? name.Scalar() : "";
    if (spec_->name.empty())
      d_->error(loc(at(doc_, {"pipelineInfo"})),
                "pipelineInfo.name is empty; KFP's API server refuses such a spec too ('name is "
                "empty'); give the pipeline a name (@dsl.pipeline(name=...))");
    std::string version = at(doc_, {"schemaVersion"}).as<std::string>("");
    if (!starts_with(version, "2."))
      d_->error(loc(doc_), "schemaVersion '" + version + "' is not 2.x; slipway reads KFP v2 IR");
    const YAML::Node root = at(doc_, {"root"});
    Source none;
    std::map<std::string, Source> scope;
    for (auto [name, decl] : entries(at(root, {"inputDefinitions", "parameters"}))) {
      IoDecl io = param_decl(name, decl);
      spec_->params.push_back(io);
      scope[name] = {false, {}, "{{params." + name + "}}"};
    }
    // Pipeline input artifacts: `-p NAME=PATH` (or a file:// URI) names the file or directory,
    // which the tasks that read it import as that artifact.
    for (auto [name, decl] : entries(at(root, {"inputDefinitions", "artifacts"}))) {
      IoDecl art = artifact_decl(name, decl);
      IoDecl io;
      io.name = name;
      io.loc = art.loc;
      io.type.param = ParamType::kString;
      io.optional = art.optional;
      io.description = "path or file:// URI of the " + art.type.artifact + " artifact" +
                       (art.type.is_list ? " list" : "");
      spec_->params.push_back(io);
      scope[name] = {false, {}, "{{params." + name + "}}"};
    }
    assign_names(at(root, {"dag"}), "");
    import_dag(at(root, {"dag"}), "", scope, {}, {}, false, Loop{});
  }

 private:
  SourceLoc loc(const YAML::Node& n) const { return kfp::yaml_loc(n, file_); }

  static Json to_json(const YAML::Node& n) { return yaml_to_json(n); }

  std::optional<ParamType> param_type(const YAML::Node& decl) {
    // schemaVersion 2.0.0 (KFP SDK 1.8's v2-compatible mode) wrote `type: STRING|INT|DOUBLE`.
    std::string t =
        at(decl, {"parameterType"}).as<std::string>(at(decl, {"type"}).as<std::string>("STRING"));
    if (t == "INT") t = "NUMBER_INTEGER";
    if (t == "DOUBLE") t = "NUMBER_DOUBLE";
    if (t == "STRING") return ParamType::kString;
    if (t == "NUMBER_INTEGER") return ParamType::kInt;
    if (t == "NUMBER_DOUBLE") return ParamType::kFloat;
    if (t == "BOOLEAN") return ParamType::kBool;
    if (t == "LIST") return ParamType::kList;
    if (t == "STRUCT" || t == "TASK_FINAL_STATUS") return ParamType::kDict;
    d_->error(loc(decl), "parameterType " + t + " is not supported yet");
    return std::nullopt;
  }

  IoDecl param_decl(const std::string& name, const YAML::Node& decl) {
    IoDecl io;
    io.name = name;
    io.loc = loc(decl);
    if (auto t = param_type(decl)) io.type.param = *t;
    if (at(decl, {"defaultValue"})) io.default_value = to_json(at(decl, {"defaultValue"}));
    io.optional = at(decl, {"isOptional"}).as<bool>(false);
    io.description = at(decl, {"description"}).as<std::string>("");
    return io;
  }

  IoDecl artifact_decl(const std::string& name, const YAML::Node& decl) {
    IoDecl io;
    io.name = name;
    io.loc = loc(decl);
    io.type.is_artifact = true;
    std::string title =
        at(decl, {"artifactType", "schemaTitle"}).as<std::string>("system.Artifact");
    std::string t = starts_with(title, "system.") ? title.substr(7) : title;
    const auto& known = known_artifact_types();
    if (std::find(known.begin(), known.end(), t) == known.end()) {
      d_->warning(loc(decl), "artifact type " + title + " is treated as Artifact");
      t = "Artifact";
    }
    io.type.artifact = t;
    io.type.is_list = at(decl, {"isArtifactList"}).as<bool>(false);
    io.optional = at(decl, {"isOptional"}).as<bool>(false);
    return io;
  }

  YAML::Node component(const std::string& ref) { return at(doc_, {"components", ref}); }

  // Pass 1: a unique slipway name for every executor task, by its path through the DAGs.
  // Sub-DAGs nest a few levels in practice; a component that contains itself would not end.
  static constexpr int kMaxDepth = 32;
  bool too_deep(int depth, const YAML::Node& where) {
    if (depth <= kMaxDepth) return false;
    if (!reported_depth_)
      d_->error(loc(where), "sub-DAGs nest more than 32 deep, or a component contains itself");
    reported_depth_ = true;
    return true;
  }

  void assign_names(const YAML::Node& dag, const std::string& path, int depth = 0) {
    if (too_deep(depth, dag)) return;
    for (auto [local, task] : entries(at(dag, {"tasks"}))) {
      YAML::Node comp = component(at(task, {"componentRef", "name"}).as<std::string>(""));
      std::string p = path + "/" + local;
      if (comp && at(comp, {"dag"})) {
        assign_names(at(comp, {"dag"}), p, depth + 1);
        continue;
      }
      std::string name = local;
      for (int i = 2; used_.count(name); ++i) name = local + "-" + std::to_string(i);
      used_.insert(name);
      native_[p] = name;
    }
  }

  // The slipway placeholder of an output of task `local` in the DAG at `path`, following DAG
  // outputs down to the executor task that produces them.
  Result<std::string> output_ref(const YAML::Node& dag, const std::string& path,
                                 const std::string& local, const std::string& key, bool artifact,
                                 int depth = 0) {
    if (depth > kMaxDepth) return InvalidInput("sub-DAG outputs nest too deep");
    YAML::Node task = at(dag, {"tasks", local});
    if (!task) return InvalidInput("no task '" + local + "'");
    YAML::Node comp = component(at(task, {"componentRef", "name"}).as<std::string>(""));
    std::string p = path + "/" + local;
    if (!comp || !at(comp, {"dag"})) return "{{tasks." + native_[p] + ".outputs." + key + "}}";
    YAML::Node out = at(comp, {"dag", "outputs", artifact ? "artifacts" : "parameters", key});
    if (!out) return InvalidInput("sub-DAG '" + local + "' has no output '" + key + "'");
    // One selector, or several for a dsl.OneOf over the branches of an if/elif/else: the value
    // is then the output of whichever branch ran, {{a | b}}.
    std::vector<std::pair<std::string, std::string>> selectors;  // producer, key
    YAML::Node list = artifact ? at(out, {"artifactSelectors"})
                               : at(out, {"valueFromOneof", "parameterSelectors"});
    for (const auto& sel : list)
      selectors.emplace_back(
          at(sel, {"producerSubtask"}).as<std::string>(""),
          at(sel, {artifact ? "outputArtifactKey" : "outputParameterKey"}).as<std::string>(""));
    if (YAML::Node one = at(out, {"valueFromParameter"}))
      selectors.emplace_back(at(one, {"producerSubtask"}).as<std::string>(""),
                             at(one, {"outputParameterKey"}).as<std::string>(""));
    if (selectors.empty())
      return InvalidInput("sub-DAG output '" + key + "' names no producing task");
    std::vector<std::string> refs;
    for (const auto& [producer, k] : selectors) {
      auto r = output_ref(at(comp, {"dag"}), p, producer, k, artifact, depth + 1);
      if (!r.ok()) return r;
      refs.push_back(r->substr(2, r->size() - 4));  // the reference inside {{ }}
    }
    return "{{" + join(refs, " | ") + "}}";
  }

  void all_natives(const YAML::Node& dag, const std::string& path, const std::string& local,
                   std::vector<std::string>* out, int depth = 0) {
    if (depth > kMaxDepth) return;
    YAML::Node task = at(dag, {"tasks", local});
    YAML::Node comp = component(at(task, {"componentRef", "name"}).as<std::string>(""));
    std::string p = path + "/" + local;
    if (!comp || !at(comp, {"dag"})) {
      out->push_back(native_[p]);
      return;
    }
    for (auto [inner, _] : entries(at(comp, {"dag", "tasks"})))
      all_natives(at(comp, {"dag"}), p, inner, out, depth + 1);
  }

  // An input the task's component may go without: KFP then leaves it unset, and the component
  // sees its default (or nothing, for IfPresent).
  static bool may_be_absent(const YAML::Node& comp, const char* kind, const std::string& name) {
    YAML::Node decl = at(comp, {"inputDefinitions", kind, name});
    return !decl || at(decl, {"isOptional"}).as<bool>(false) || at(decl, {"defaultValue"});
  }

  // The sources of a task's inputs, in the scope of its DAG.
  std::map<std::string, Source> input_sources(const YAML::Node& dag, const std::string& path,
                                              const YAML::Node& task, const YAML::Node& comp,
                                              const std::map<std::string, Source>& scope) {
    std::map<std::string, Source> out;
    for (auto [name, spec] : entries(at(task, {"inputs", "parameters"}))) {
      if (at(spec, {"componentInputParameter"})) {
        std::string from = at(spec, {"componentInputParameter"}).as<std::string>();
        auto it = scope.find(from);
        if (it == scope.end() || it->second.absent) {
          // An optional input of the enclosing DAG that its caller did not pass.
          if (it == scope.end() || !may_be_absent(comp, "parameters", name))
            d_->error(loc(spec),
                      "input '" + name + "' reads an undefined component input '" + from + "'");
        } else if (YAML::Node sel = at(spec, {"parameterExpressionSelector"})) {
          // parseJson(string_value)["field"] of a loop item -> {{item.field}}
          static const std::regex kField(R"re(\["([A-Za-z0-9_-]+)"\]$)re");
          std::smatch m;
          std::string expr = sel.as<std::string>("");
          static const std::regex kItem(R"re(^\{\{(loops\.[A-Za-z0-9_-]+\.)?item\}\}$)re");
          const std::string& item = it->second.text;
          if (std::regex_match(item, kItem) && std::regex_search(expr, m, kField))
            out[name] = {false, {}, item.substr(0, item.size() - 2) + "." + m[1].str() + "}}"};
          else
            d_->error(loc(sel), "parameterExpressionSelector '" + expr + "' is not supported yet");
        } else {
          out[name] = it->second;
        }
      } else if (at(spec, {"runtimeValue"})) {
        if (YAML::Node old = at(spec, {"runtimeValue", "constantValue"})) {
          // schemaVersion 2.0.0: {stringValue|intValue|doubleValue: V}.
          Json v = to_json(old);
          out[name] = {true, v.is_object() && !v.empty() ? v.begin().value() : Json(), ""};
          if (v.contains("intValue") && v["intValue"].is_string())
            out[name].value = Json::parse(v["intValue"].get<std::string>(), nullptr, false);
        } else {
          out[name] = {true, to_json(at(spec, {"runtimeValue", "constant"})), ""};
        }
      } else if (at(spec, {"taskOutputParameter"})) {
        auto r = output_ref(
            dag, path, at(spec, {"taskOutputParameter", "producerTask"}).as<std::string>(""),
            at(spec, {"taskOutputParameter", "outputParameterKey"}).as<std::string>(""), false);
        if (!r.ok())
          d_->error(loc(spec), "input '" + name + "': " + r.status().message());
        else
          out[name] = {false, {}, *r};
      } else if (YAML::Node fs = at(spec, {"taskFinalStatus"})) {
        // dsl.PipelineTaskFinalStatus of the exit handler's group. Exit handlers sit at the root,
        // so the group's outcome is the run's, named as KFP's driver names it (COMPLETE,
        // FAILED, CANCELED: ML Metadata's execution states). (Not the last key: "}}" would end a
        // placeholder.)
        std::string producer = at(fs, {"producerTask"}).as<std::string>("");
        out[name] = {
            false,
            {},
            "{\"error\": {}, \"state\": \"{{run.kfp_state}}\", \"pipelineJobResourceName\": "
            "\"{{run.id}}\", "
            "\"pipelineTaskName\": \"" +
                producer + "\"}"};
      } else {
        d_->error(loc(spec),
                  "input '" + name + "': this kind of parameter source is not supported yet");
      }
    }
    for (auto [name, spec] : entries(at(task, {"inputs", "artifacts"}))) {
      if (at(spec, {"componentInputArtifact"})) {
        std::string from = at(spec, {"componentInputArtifact"}).as<std::string>();
        auto it = scope.find(from);
        if (it != scope.end() && !it->second.absent)
          out[name] = it->second;
        else if (it == scope.end() || !may_be_absent(comp, "artifacts", name))
          d_->error(loc(spec),
                    "input '" + name + "' reads an undefined component artifact '" + from + "'");
      } else if (at(spec, {"taskOutputArtifact"})) {
        auto r = output_ref(
            dag, path, at(spec, {"taskOutputArtifact", "producerTask"}).as<std::string>(""),
            at(spec, {"taskOutputArtifact", "outputArtifactKey"}).as<std::string>(""), true);
        if (!r.ok())
          d_->error(loc(spec), "input '" + name + "': " + r.status().message());
        else
          out[name] = {false, {}, *r};
      } else {
        d_->error(loc(spec), "input artifact '" + name +
                                 "': this kind of artifact source is not supported yet");
      }
    }
    kfp::fill_format_strings(&out, loc(task), d_);
    return out;
  }

  static std::string operand(const Source& s) {
    if (!s.literal) return s.text;
    if (s.value.is_string()) return "'" + s.value.get<std::string>() + "'";
    return render_param(s.value);
  }

  void import_dag(const YAML::Node& dag, const std::string& path,
                  const std::map<std::string, Source>& scope,
                  const std::vector<std::string>& conditions, const std::vector<std::string>& after,
                  bool in_finally, const Loop& loop, int depth = 0) {
    if (too_deep(depth, dag)) return;
    for (auto [local, task] : entries(at(dag, {"tasks"}))) {
      std::string p = path + "/" + local;
      std::string comp_ref = at(task, {"componentRef", "name"}).as<std::string>("");
      YAML::Node comp = component(comp_ref);
      if (!comp) {
        d_->error(loc(task),
                  "task '" + local + "' uses component '" + comp_ref + "', which is not defined");
        continue;
      }
      auto sources = input_sources(dag, path, task, comp, scope);
      Loop inner_loop = loop;
      std::string item_input;
      // A loop over parameters, or over a list of artifacts (a dsl.Collected output).
      YAML::Node it = at(task, {"parameterIterator"});
      if (!it) it = at(task, {"artifactIterator"});
      if (it) {
        LoopSource level;
        level.id = loop_id(local);
        level.loc = loc(task);
        item_input = at(it, {"itemInput"}).as<std::string>("");
        level.parallelism = at(task, {"iteratorPolicy", "parallelismLimit"}).as<int>(0);
        if (YAML::Node raw = at(it, {"items", "raw"})) {
          Json items = Json::parse(raw.as<std::string>(""), nullptr, false);
          if (!items.is_array()) {
            d_->error(loc(raw), "loop items are not a JSON list");
            continue;
          }
          level.items = {true, items, ""};
        } else {
          YAML::Node from = at(it, {"items", "inputParameter"});
          if (!from) from = at(it, {"items", "inputArtifact"});
          auto src = sources.find(from.as<std::string>(""));
          if (src == sources.end()) {
            d_->error(loc(it), "loop items name an input the loop does not receive");
            continue;
          }
          level.items = src->second;
        }
        inner_loop.levels.push_back(std::move(level));
      }
      std::vector<std::string> conds = conditions;
      if (auto c = at(task, {"triggerPolicy", "condition"})) {
        auto w = convert_kfp_condition(
            c.as<std::string>(), [&](const std::string& name) -> Result<std::string> {
              auto it = sources.find(name);
              if (it == sources.end())
                return InvalidInput("condition reads '" + name +
                                    "', which the task does not receive");
              return operand(it->second);
            });
        if (!w.ok())
          d_->error(loc(c), w.status().message());
        else
          conds.push_back("(" + *w + ")");
      }
      // ALL_UPSTREAM_TASKS_COMPLETED: run once the tasks named in dependentTasks have ended,
      // whatever their outcome. After an exit-handler group (a sub-DAG) it is dsl.ExitHandler's
      // exit task, which slipway runs as a finally task; after ordinary tasks it is
      // ignore_upstream_failure().
      bool finally = in_finally, ignore_failure = false;
      if (at(task, {"triggerPolicy", "strategy"}).as<std::string>("") ==
          "ALL_UPSTREAM_TASKS_COMPLETED") {
        bool after_group = false;
        for (const auto& dn : at(task, {"dependentTasks"})) {
          YAML::Node up =
              component(at(dag, {"tasks", dn.as<std::string>(""), "componentRef", "name"})
                            .as<std::string>(""));
          after_group = after_group || at(up, {"dag"});
        }
        if (!after_group) {
          ignore_failure = true;
        } else {
          if (!path.empty())
            d_->error(loc(task), "exit handlers inside sub-DAGs are not supported yet");
          finally = true;
        }
      }
      std::vector<std::string> deps = after;
      for (const auto& dn : at(task, {"dependentTasks"})) {
        // An exit task waits for everything anyway; an ordinary one waits for what it names.
        if (!finally) all_natives(dag, path, dn.as<std::string>(), &deps);
      }
      if (at(comp, {"dag"})) {
        std::map<std::string, Source> inner;
        for (auto [name, src] : sources) inner[name] = src;
        // Inputs of the sub-DAG its caller does not pass: their defaults, or absent.
        for (const char* kind : {"parameters", "artifacts"})
          for (auto [name, decl] : entries(at(comp, {"inputDefinitions", kind}))) {
            if (inner.count(name)) continue;
            if (YAML::Node def = at(decl, {"defaultValue"}))
              inner[name] = {true, to_json(def), ""};
            else
              inner[name] = {false, {}, "", true};
          }
        if (!item_input.empty())
          inner[item_input] = {false, {}, "{{loops." + inner_loop.levels.back().id + ".item}}"};
        import_dag(at(comp, {"dag"}), p, inner, conds, deps, finally, inner_loop, depth + 1);
        continue;
      }
      make_task(task, comp, comp_ref, native_[p], sources, conds, deps, finally, ignore_failure,
                loop, DagView{dag, path, scope});
    }
  }

  // The IfPresent placeholders of an executor: the inputs they test, in order.
  std::vector<std::string> if_present_inputs(const YAML::Node& exec) {
    std::vector<std::string> names;
    std::function<void(const Json&)> scan = [&](const Json& j) {
      if (j.is_object() && j.contains("IfPresent"))
        names.push_back(j["IfPresent"].value("InputName", ""));
      if (j.is_object() || j.is_array())
        for (const auto& e : j) scan(e);
    };
    for (const char* key : {"command", "args"})
      for (const auto& e : at(exec, {"container", key})) {
        std::string s = e.as<std::string>("");
        if (starts_with(s, "{\"")) scan(Json::parse(s, nullptr, false));
      }
    return names;
  }

  // One component per executor, and per set of present inputs when IfPresent picks arguments
  // by it: whether an input is present is a property of the task that calls the component.
  std::string make_component(const std::string& comp_ref, const YAML::Node& comp,
                             const std::map<std::string, Source>& sources) {
    std::string name = starts_with(comp_ref, "comp-") ? comp_ref.substr(5) : comp_ref;
    std::string label = at(comp, {"executorLabel"}).as<std::string>("");
    YAML::Node exec = at(doc_, {"deploymentSpec", "executors", label});
    std::set<std::string> present;
    for (const auto& [n, _] : sources) present.insert(n);
    for (auto [n, decl] : entries(at(comp, {"inputDefinitions", "parameters"})))
      if (at(decl, {"defaultValue"})) present.insert(n);
    std::string signature;
    for (const auto& in : if_present_inputs(exec))
      signature += (present.count(in) ? "+" : "-") + in + " ";
    auto& variants = variants_[comp_ref];
    if (auto v = variants.find(signature); v != variants.end()) return v->second;
    if (!variants.empty()) name += "-" + std::to_string(variants.size() + 1);
    variants[signature] = name;
    Component c;
    c.name = name;
    c.loc = loc(comp);
    for (auto [n, decl] : entries(at(comp, {"inputDefinitions", "parameters"})))
      c.inputs.push_back(param_decl(n, decl));
    for (auto [n, decl] : entries(at(comp, {"inputDefinitions", "artifacts"})))
      c.inputs.push_back(artifact_decl(n, decl));
    for (auto [n, decl] : entries(at(comp, {"outputDefinitions", "parameters"})))
      c.outputs.push_back(param_decl(n, decl));
    for (auto [n, decl] : entries(at(comp, {"outputDefinitions", "artifacts"})))
      c.outputs.push_back(artifact_decl(n, decl));
    for (auto& o : c.outputs) {
      o.default_value.reset();
      o.optional = false;
    }
    if (!exec) {
      d_->error(loc(comp), "component '" + comp_ref + "' names executor '" + label +
                               "', which deploymentSpec does not define");
    } else if (YAML::Node imp = at(exec, {"importer"})) {
      make_importer(imp, label, &c);
    } else if (at(exec, {"resolver"})) {
      d_->error(loc(exec),
                "executor '" + label + "' is a resolver, which slipway does not support");
    } else if (std::string verb = volume_step(at(exec, {"container", "image"}).as<std::string>(""));
               !verb.empty()) {
      // kfp-kubernetes' CreatePVC / DeletePVC: a named volume (see slipway __kfp-volume).
      c.command = {"slipway", "__kfp-volume", verb, "{{run.id}}", "{{executor.input}}"};
    } else if (YAML::Node ct = at(exec, {"container"})) {
      c.image = at(ct, {"image"}).as<std::string>("");
      auto convert_list = [&](const YAML::Node& list, std::vector<std::string>* out) {
        for (const auto& e : list) {
          std::string s = e.as<std::string>("");
          // Structured placeholders arrive as JSON text that starts with their name; any other
          // text, JSON or not, is a plain argument (KFP's executor decides the same way).
          Json j(s);
          if (starts_with(s, "{\"Concat\"") || starts_with(s, "{\"IfPresent\"")) {
            j = Json::parse(s, nullptr, false);
            if (j.is_discarded()) {
              d_->error(loc(e), "executor '" + label + "': structured placeholder '" + s +
                                    "' is not valid JSON");
              continue;
            }
          }
          std::vector<std::string> parts;
          if (auto st = expand_structured(j, present, &parts); !st.ok()) {
            d_->error(loc(e), "executor '" + label + "': " + st.message());
            continue;
          }
          for (const auto& part : parts) {
            auto conv = convert_kfp_placeholders(part);
            if (!conv.ok())
              d_->error(loc(e), "executor '" + label + "': " + conv.status().message());
            else
              out->push_back(*conv);
          }
        }
      };
      convert_list(at(ct, {"command"}), &c.command);
      convert_list(at(ct, {"args"}), &c.args);
      for (const auto& e : at(ct, {"env"}))
        c.env[at(e, {"name"}).as<std::string>("")] = at(e, {"value"}).as<std::string>("");
      if (c.command.empty() && !c.args.empty()) {
        c.command = {c.args.front()};
        c.args.erase(c.args.begin());
      }
      if (c.command.empty())
        d_->error(loc(ct), "executor '" + label +
                               "' has no command (the image's entrypoint is unknown here)");
      bool python = false;
      for (const auto* list : {&c.command, &c.args})
        for (const auto& a : *list)
          python = python || a.find("kfp.dsl.executor_main") != std::string::npos ||
                   a.find("kfp.components.executor_main") != std::string::npos;  // KFP 2.0 betas
      if (python) {
        // A @dsl.component: run it in a Python environment with kfp and its packages.
        c.command.insert(c.command.begin(), {"slipway", "__pyenv", "--"});
      }
    }
    spec_->components[name] = c;
    return name;
  }

  // kfp-kubernetes compiles CreatePVC and DeletePVC to executors with these stand-in images,
  // which its Kubernetes driver runs itself: "create", "delete", or "" for any other image.
  static std::string volume_step(const std::string& image) {
    if (image == "argostub/createpvc") return "create";
    if (image == "argostub/deletepvc") return "delete";
    return "";
  }

  // Concat joins its parts into one argument; IfPresent expands to its Then or Else list
  // (each a string or a list) by whether the task provides the input.
  Status expand_structured(const Json& j, const std::set<std::string>& present,
                           std::vector<std::string>* out) {
    if (j.is_string()) {
      out->push_back(j.get<std::string>());
      return Status::Ok();
    }
    if (j.is_array()) {
      for (const auto& e : j) SLIPWAY_RETURN_IF_ERROR(expand_structured(e, present, out));
      return Status::Ok();
    }
    if (j.is_object() && j.contains("Concat") && j["Concat"].is_array()) {
      std::string joined;
      for (const auto& part : j["Concat"]) {
        std::vector<std::string> inner;
        SLIPWAY_RETURN_IF_ERROR(expand_structured(part, present, &inner));
        for (const auto& s : inner) joined += s;
      }
      out->push_back(joined);
      return Status::Ok();
    }
    if (j.is_object() && j.contains("IfPresent") && j["IfPresent"].is_object()) {
      const Json& ip = j["IfPresent"];
      const char* branch = present.count(ip.value("InputName", "")) ? "Then" : "Else";
      if (ip.contains(branch)) return expand_structured(ip[branch], present, out);
      return Status::Ok();
    }
    return InvalidInput("structured placeholder " + j.dump() +
                        " is not one slipway knows (Concat, IfPresent)");
  }

  // A dsl.importer: a task that brings an existing file or directory in as an artifact.
  void make_importer(const YAML::Node& imp, const std::string& label, Component* c) {
    std::string uri;
    if (YAML::Node rp = at(imp, {"artifactUri", "runtimeParameter"}))
      uri = "{{inputs." + rp.as<std::string>("") + "}}";
    else
      uri = at(imp, {"artifactUri", "constant"}).as<std::string>("");
    if (uri.empty()) d_->error(loc(imp), "importer '" + label + "' has no artifactUri");
    if (c->outputs.size() != 1 || !c->outputs[0].type.is_artifact) {
      d_->error(loc(imp), "importer '" + label + "' must declare exactly one output artifact");
      return;
    }
    c->command = {"slipway", "__import-artifact", uri, "{{outputs." + c->outputs[0].name + "}}"};
    if (YAML::Node md = at(imp, {"metadata"})) {
      // Metadata may hold the importer's inputs ({{$.inputs.parameters['x']}}), filled per run.
      auto text = convert_kfp_placeholders(dump_json(to_json(md), 1));
      if (!text.ok())
        d_->error(loc(md), "importer '" + label + "' metadata: " + text.status().message());
      else
        c->command.insert(c->command.end(), {"--metadata", *text});
    }
  }

  // The id of a ParallelFor: its task's name, unique in the pipeline ({{loops.ID.item}}).
  std::string loop_id(const std::string& local) {
    std::string id = local;
    for (char& c : id)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '-';
    std::string unique = id;
    for (int n = 2; !loop_ids_.insert(unique).second; ++n) unique = id + "-" + std::to_string(n);
    return unique;
  }

  void make_task(const YAML::Node& task, const YAML::Node& comp, const std::string& comp_ref,
                 const std::string& name, const std::map<std::string, Source>& sources,
                 const std::vector<std::string>& conds, const std::vector<std::string>& deps,
                 bool finally, bool ignore_failure, const Loop& loop, const DagView& here) {
    Task t;
    // Inside its innermost loop a task reads that loop's item as {{item}}.
    std::string own_item = loop.active() ? "{{loops." + loop.levels.back().id + ".item" : "";
    auto own = [&](std::string text) {
      return own_item.empty() ? text : replace_all(text, own_item, "{{item");
    };
    for (const LoopSource& level : loop.levels) {
      Binding f;
      f.loc = level.loc;
      if (level.items.literal) {
        f.literal = level.items.value;
      } else if (auto tmpl = parse_template(level.items.text); tmpl.ok()) {
        f.is_template = true;
        f.text = level.items.text;
        f.tmpl = *tmpl;
      }
      if (&level != &loop.levels.back()) {
        t.outer_loops.push_back({level.id, f, level.parallelism, level.loc});
        continue;
      }
      t.for_each = f;
      t.for_each_loc = f.loc;
      t.parallelism = level.parallelism;
      t.loop = level.id;
    }
    t.name = name;
    t.loc = loc(task);
    t.is_finally = finally;
    t.ignore_upstream_failure = ignore_failure;
    t.component = make_component(comp_ref, comp, sources);
    for (const auto& [in, src] : sources) {
      // Inputs the component does not declare (pipelinechannel--x) only feed format strings
      // and resources of the task, filled in already.
      if (!at(comp, {"inputDefinitions", "parameters", in}) &&
          !at(comp, {"inputDefinitions", "artifacts", in}))
        continue;
      Source mine = src;
      mine.text = own(mine.text);
      if (auto b = binding_of(mine, t.loc, d_)) t.inputs[in] = *b;
    }
    if (!conds.empty()) {
      auto e = Expr::parse(own(join(conds, " && ")));
      t.when_loc = t.loc;
      if (!e.ok())
        d_->error(t.loc, e.status().message());
      else
        t.when = *e;
    }
    t.after = deps;
    std::sort(t.after.begin(), t.after.end());
    t.after.erase(std::unique(t.after.begin(), t.after.end()), t.after.end());
    t.after.erase(std::remove(t.after.begin(), t.after.end(), name), t.after.end());
    t.cache = at(task, {"cachingOptions", "enableCache"}).as<bool>(true);
    t.cache_key = at(task, {"cachingOptions", "cacheKey"}).as<std::string>("");
    // An importer's input is a path, not the bytes behind it: import afresh every time.
    if (at(doc_, {"deploymentSpec", "executors", at(comp, {"executorLabel"}).as<std::string>(""),
                  "importer"}))
      t.cache = false;
    if (YAML::Node r = at(task, {"retryPolicy"})) {
      t.retry.limit = at(r, {"maxRetryCount"}).as<int>(0);
      auto dur = [&](const char* key, std::int64_t def) {
        if (!at(r, {key})) return def;
        auto d = parse_duration_ms(at(r, {key}).as<std::string>());
        return d.ok() ? *d : def;
      };
      t.retry.backoff_ms = dur("backoffDuration", 0);
      t.retry.factor = std::max(1.0, at(r, {"backoffFactor"}).as<double>(2.0));
      t.retry.max_backoff_ms = dur("backoffMaxDuration", 3'600'000);
    }
    std::string label = at(comp, {"executorLabel"}).as<std::string>("");
    if (YAML::Node res = at(doc_, {"deploymentSpec", "executors", label, "container", "resources"}))
      kfp::read_resources(res, sources, file_, &t, d_);
    if (YAML::Node k8s = at(platform_, {"deploymentSpec", "executors", label}))
      kfp::read_platform_settings(
          k8s, here.scope,
          [&](const std::string& producer, const std::string& key) {
            return output_ref(here.dag, here.path, producer, key, false);
          },
          file_, &t, d_);
    spec_->tasks.push_back(std::move(t));
  }

  YAML::Node doc_;
  YAML::Node platform_;  // platforms.kubernetes of the kfp-kubernetes extension, or undefined
  std::string file_;
  Diagnostics* d_;
  PipelineSpec* spec_;
  std::set<std::string> used_;
  std::set<std::string> loop_ids_;
  std::map<std::string, std::map<std::string, std::string>>
      variants_;  // component -> present set -> name
  bool reported_depth_ = false;
  std::map<std::string, std::string> native_;  // DAG path of an executor task -> its name here
};

}  // namespace

ParseOutcome parse_kfp_pipeline(const std::string& yaml_text, const std::string& file,
                                const std::string& base_dir) {
  ParseOutcome out;
  PipelineSpec spec;
  spec.source_file = file;
  spec.base_dir = base_dir;
  try {
    KfpDocument doc = read_kfp_document(yaml_text, file, &out.diagnostics);
    if (!doc.spec) return out;
    KfpImporter(doc, file, &out.diagnostics, &spec).run();
  } catch (const YAML::Exception& e) {
    out.diagnostics.error(
        {file, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0},
        "not a valid KFP pipeline: " + e.msg);
    return out;
  }
  // Tasks in dependency order (the IR lists them alphabetically), finally tasks last, as the
  // native format keeps them; tables and `runs show` then read top to bottom.
  std::vector<Task> ordered;
  std::set<std::string> placed, visiting;
  std::function<void(const Task&)> place = [&](const Task& t) {
    if (placed.count(t.name) || visiting.count(t.name)) return;
    visiting.insert(t.name);
    for (const auto& d : task_dependencies(t))
      if (const Task* up = spec.task(d)) place(*up);
    placed.insert(t.name);
    ordered.push_back(t);
  };
  for (const auto& t : spec.tasks)
    if (!t.is_finally) place(t);
  for (const auto& t : spec.tasks)
    if (t.is_finally) place(t);
  spec.tasks = std::move(ordered);
  out.spec = std::move(spec);
  return out;
}

}  // namespace slipway::spec
