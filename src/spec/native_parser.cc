// The native front door: slipway's own pipeline YAML (docs/pipeline-spec.md) into a PipelineSpec.
// The parser never stops at the first problem: every error is added to the diagnostics with its
// line and column, and parsing goes on with a placeholder, so one run of `slipway validate` shows
// a user everything to fix.
#include "spec/native_parser.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "core/files.h"
#include "core/strings.h"
#include "core/units.h"
#include "core/yaml_json.h"

namespace slipway::spec {

namespace {

// Which slipway command reads a Kubeflow file that is not a pipeline.
std::string other_command(const std::string& kind) {
  if (kind == "InferenceService") return ": serve it with `slipway serve -f FILE`";
  if (kind == "Experiment") return ": run it with `slipway sweep FILE`";
  if (kind == "TrainingRuntime" || kind == "ClusterTrainingRuntime")
    return ": a runtime is what TrainJobs name in runtimeRef; run a TrainJob that names it "
           "(`slipway run TRAINJOB.yaml --runtime THIS_FILE`, or with this file beside it)";
  return ": `slipway run` takes slipway pipelines, compiled KFP pipelines and training jobs "
         "(PyTorchJob, TFJob, XGBoostJob, PaddleJob, JAXJob, MPIJob)";
}

class NativeParser {
 public:
  NativeParser(std::string file, Diagnostics* diags) : file_(std::move(file)), d_(diags) {}

  void parse_root(const YAML::Node& root, PipelineSpec* spec) {
    if (!root.IsMap()) {
      d_->error(loc(root), "a pipeline file is a mapping with name, params, components and tasks");
      return;
    }
    // A Kubernetes object of another kind says what it is and which command takes it, rather
    // than failing on its first key that a pipeline does not have.
    if (auto k = root["kind"]; k && k.IsScalar() && root["apiVersion"] &&
                               root["apiVersion"].IsScalar() &&
                               root["apiVersion"].Scalar() != "slipway/v1") {
      d_->error(loc(k), "this file is a Kubernetes " + k.Scalar() + " (" +
                            root["apiVersion"].Scalar() + "), not a pipeline" +
                            other_command(k.Scalar()));
      return;
    }
    check_keys(
        root,
        {"apiVersion", "kind", "name", "description", "params", "components", "tasks", "finally"},
        "pipeline");
    if (auto v = root["apiVersion"]; v && scalar(v, "apiVersion") != "slipway/v1")
      d_->error(loc(v), "apiVersion must be slipway/v1");
    if (auto v = root["kind"]; v && scalar(v, "kind") != "Pipeline")
      d_->error(loc(v), "kind must be Pipeline");
    if (auto v = root["name"])
      spec->name = scalar(v, "name");
    else
      d_->error(loc(root), "missing 'name': every pipeline needs a name");
    if (auto v = root["description"]) spec->description = scalar(v, "description");

    if (auto ps = root["params"]) {
      for_each_entry(ps, "params",
                     [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
                       spec->params.push_back(parse_io(name, k, v, /*is_param=*/true));
                     });
    }
    if (auto cs = root["components"]) {
      for_each_entry(cs, "components",
                     [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
                       Component c = parse_component(name, k, v);
                       spec->components[name] = std::move(c);
                     });
    }
    if (auto ts = root["tasks"]) {
      for_each_entry(ts, "tasks",
                     [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
                       spec->tasks.push_back(parse_task(name, k, v, spec, false));
                     });
    } else {
      d_->error(loc(root), "missing 'tasks': a pipeline needs at least one task");
    }
    if (auto fs = root["finally"]) {
      for_each_entry(fs, "finally",
                     [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
                       spec->tasks.push_back(parse_task(name, k, v, spec, true));
                     });
    }
  }

 private:
  // yaml-cpp counts from 0 and gives -1 for nodes it made up (a missing key); editors count
  // from 1.
  SourceLoc loc(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.line < 0) return {file_, 0, 0};
    return {file_, m.line + 1, m.column + 1};
  }

  // A misspelt key is an error, never ignored: `retires: 3` silently meaning no retries is the
  // kind of surprise this format exists to prevent. The message suggests the closest key.
  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& where) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string key = it->first.Scalar();
      if (!seen.insert(key).second)
        d_->error(loc(it->first), "duplicate key '" + key + "' in " + where);
      bool ok = false;
      for (const auto& a : allowed) ok = ok || a == key;
      if (!ok)
        d_->error(loc(it->first), "unknown key '" + key + "' in " + where +
                                      did_you_mean(key, allowed) +
                                      "; allowed: " + join(allowed, ", "));
    }
  }

  template <typename F>
  void for_each_entry(const YAML::Node& map, const std::string& where, F&& fn) {
    if (map.IsNull()) return;
    if (!map.IsMap()) {
      d_->error(loc(map), "'" + where + "' must be a mapping of name to definition");
      return;
    }
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        d_->error(loc(it->first), "names in '" + where + "' must be plain strings");
        continue;
      }
      std::string name = it->first.Scalar();
      // yaml-cpp keeps both entries of a duplicated key; most YAML readers keep only the last,
      // so a duplicate is refused rather than read one way here and another elsewhere.
      if (!seen.insert(name).second) {
        d_->error(loc(it->first), "duplicate name '" + name + "' in " + where);
        continue;
      }
      if (!valid_name(name)) {
        d_->error(loc(it->first),
                  "name '" + name + "' in " + where + " may use only letters, digits, '_' and '-'");
        continue;
      }
      fn(name, it->first, it->second);
    }
  }

  // Names become directory names, Slurm job names and Kubernetes labels: a conservative charset
  // keeps them valid everywhere.
  static bool valid_name(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
    return true;
  }

  std::string scalar(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
      d_->error(loc(n), "'" + what + "' must be a single value, not a list or mapping");
      return "";
    }
    return n.Scalar();
  }

  std::vector<std::string> string_list(const YAML::Node& n, const std::string& what) {
    std::vector<std::string> out;
    // A lone string is a list of one, as users write `command: python` for a single word.
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
      for (const auto& e : n) out.push_back(scalar(e, what + " item"));
    } else if (!n.IsNull()) {
      d_->error(loc(n), "'" + what + "' must be a list of strings");
    }
    return out;
  }

  // Plain scalars read as the YAML 1.2 core schema would (int, float, bool, null); quoted
  // scalars stay strings.
  static Json to_json(const YAML::Node& n) { return yaml_to_json(n); }

  std::optional<TypeRef> parse_type(const std::string& text, const YAML::Node& where) {
    TypeRef t;
    std::string s = trim(text);
    if (starts_with(s, "list of ")) {
      s = trim(s.substr(8));
      t.is_list = true;
    }
    if (auto p = param_type_from_name(s)) {
      if (t.is_list) {
        d_->error(loc(where), "'list of' applies to artifact types; for parameters use 'list'");
        return std::nullopt;
      }
      t.param = *p;
      return t;
    }
    for (const auto& a : known_artifact_types()) {
      if (a == s) {
        t.is_artifact = true;
        t.artifact = s;
        return t;
      }
    }
    std::vector<std::string> all = param_type_names();
    for (const auto& a : known_artifact_types()) all.push_back(a);
    d_->error(loc(where),
              "unknown type '" + s + "'" + did_you_mean(s, all) + "; one of " + join(all, ", "));
    return std::nullopt;
  }

  static std::optional<ParamType> infer_type(const Json& v) {
    if (v.is_boolean()) return ParamType::kBool;
    if (v.is_number_integer()) return ParamType::kInt;
    if (v.is_number()) return ParamType::kFloat;
    if (v.is_string()) return ParamType::kString;
    if (v.is_array()) return ParamType::kList;
    if (v.is_object()) return ParamType::kDict;
    return std::nullopt;
  }

  IoDecl parse_io(const std::string& name, const YAML::Node& key, const YAML::Node& v,
                  bool is_param) {
    IoDecl io;
    io.name = name;
    io.loc = loc(key);
    std::string where = (is_param ? "parameter '" : "'") + name + "'";
    if (v.IsScalar() && !is_param) {
      // Short form for component inputs/outputs: `name: Dataset`.
      if (auto t = parse_type(v.Scalar(), v)) io.type = *t;
      return io;
    }
    if (!v.IsMap()) {
      if (is_param) {
        // Short form for parameters: `name: default`, type from the value.
        Json def = to_json(v);
        auto t = infer_type(def);
        if (!t) {
          d_->error(loc(v), where + " needs a type: write {type: string} or a default value");
          return io;
        }
        io.type.param = *t;
        io.default_value = def;
        return io;
      }
      d_->error(loc(v), where + " must be a type name or a mapping with 'type'");
      return io;
    }
    check_keys(v, {"type", "default", "optional", "description"}, where);
    if (auto t = v["type"]) {
      if (auto tr = parse_type(scalar(t, "type"), t)) io.type = *tr;
      if (is_param && io.type.is_artifact)
        d_->error(loc(t), where + ": pipeline parameters take parameter types (" +
                              join(param_type_names(), ", ") +
                              "); pass files as a string path to an artifact input");
    } else if (auto def = v["default"]) {
      auto t = infer_type(to_json(def));
      if (t) io.type.param = *t;
    } else {
      d_->error(loc(v), where + " needs 'type'");
    }
    if (auto def = v["default"]) io.default_value = to_json(def);
    if (auto o = v["optional"]) io.optional = parse_bool(o, "optional");
    if (auto ds = v["description"]) io.description = scalar(ds, "description");
    return io;
  }

  bool parse_bool(const YAML::Node& n, const std::string& what) {
    Json j = to_json(n);
    if (!j.is_boolean()) {
      d_->error(loc(n), "'" + what + "' must be true or false");
      return false;
    }
    return j.get<bool>();
  }

  Component parse_component(const std::string& name, const YAML::Node& key, const YAML::Node& v) {
    Component c;
    c.name = name;
    c.loc = loc(key);
    if (!v.IsMap()) {
      d_->error(loc(v), "component '" + name + "' must be a mapping with command and args");
      return c;
    }
    check_keys(v, {"image", "command", "args", "env", "inputs", "outputs", "description"},
               "component '" + name + "'");
    if (auto x = v["image"]) c.image = scalar(x, "image");
    if (auto x = v["command"])
      c.command = string_list(x, "command");
    else
      d_->error(loc(v), "component '" + name + "' has no 'command'");
    if (auto x = v["args"]) c.args = string_list(x, "args");
    if (auto x = v["env"]) {
      if (!x.IsMap())
        d_->error(loc(x), "'env' must be a mapping of NAME: value");
      else
        for (auto it = x.begin(); it != x.end(); ++it)
          c.env[it->first.Scalar()] = scalar(it->second, "env value");
    }
    if (auto x = v["inputs"])
      for_each_entry(x, "inputs of component '" + name + "'",
                     [&](const std::string& n, const YAML::Node& k, const YAML::Node& val) {
                       c.inputs.push_back(parse_io(n, k, val, false));
                     });
    if (auto x = v["outputs"])
      for_each_entry(x, "outputs of component '" + name + "'",
                     [&](const std::string& n, const YAML::Node& k, const YAML::Node& val) {
                       IoDecl io = parse_io(n, k, val, false);
                       if (io.default_value || io.optional)
                         d_->error(io.loc,
                                   "output '" + n + "' cannot have a default or be optional");
                       c.outputs.push_back(std::move(io));
                     });
    return c;
  }

  Binding parse_binding(const YAML::Node& v) {
    Binding b;
    b.loc = loc(v);
    if (v.IsScalar()) {
      const std::string& s = v.Scalar();
      if (s.find("{{") != std::string::npos) {
        size_t off = 0;
        auto t = parse_template(s, &off);
        if (!t.ok()) {
          SourceLoc l = b.loc;
          l.column += static_cast<int>(off) + (v.Tag() == "!" ? 1 : 0);
          d_->error(l, t.status().message());
        } else {
          b.is_template = true;
          b.text = s;
          b.tmpl = *t;
          return b;
        }
      }
    }
    b.literal = to_json(v);
    return b;
  }

  void parse_retry(const YAML::Node& v, RetryPolicy* r) {
    if (v.IsScalar()) {
      Json j = to_json(v);
      if (!j.is_number_integer() || j.get<long long>() < 0)
        d_->error(loc(v),
                  "'retry' must be a count (e.g. 3) or {limit, backoff, factor, max_backoff}");
      else
        r->limit = static_cast<int>(j.get<long long>());
      return;
    }
    if (!v.IsMap()) {
      d_->error(loc(v), "'retry' must be a count or a mapping");
      return;
    }
    check_keys(v, {"limit", "backoff", "factor", "max_backoff"}, "retry");
    if (auto x = v["limit"]) {
      Json j = to_json(x);
      if (!j.is_number_integer() || j.get<long long>() < 0 || j.get<long long>() > 1000)
        d_->error(loc(x), "'limit' must be a whole number from 0 to 1000");
      else
        r->limit = static_cast<int>(j.get<long long>());
    }
    if (auto x = v["backoff"]) r->backoff_ms = duration(x, "backoff");
    if (auto x = v["max_backoff"]) r->max_backoff_ms = duration(x, "max_backoff");
    if (auto x = v["factor"]) {
      Json j = to_json(x);
      if (!j.is_number() || j.get<double>() < 1.0 || j.get<double>() > 100.0)
        d_->error(loc(x), "'factor' must be a number from 1 to 100");
      else
        r->factor = j.get<double>();
    }
  }

  std::int64_t duration(const YAML::Node& n, const std::string& what) {
    auto d = parse_duration_ms(scalar(n, what));
    if (!d.ok()) {
      d_->error(loc(n), "'" + what + "': " + d.status().message());
      return 0;
    }
    return *d;
  }

  int positive_int(const YAML::Node& n, const std::string& what, int min) {
    Json j = to_json(n);
    if (!j.is_number_integer() || j.get<long long>() < min || j.get<long long>() > 1'000'000) {
      d_->error(loc(n), "'" + what + "' must be a whole number >= " + std::to_string(min));
      return min;
    }
    return static_cast<int>(j.get<long long>());
  }

  void parse_resources(const YAML::Node& v, Resources* r) {
    if (!v.IsMap()) {
      d_->error(loc(v), "'resources' must be a mapping");
      return;
    }
    check_keys(v,
               {"cpus", "memory", "gpus", "nodes", "tasks_per_node", "time_limit", "partition",
                "account", "qos", "constraint", "k8s"},
               "resources");
    if (auto x = v["cpus"]) {
      auto c = parse_millicpus(scalar(x, "cpus"));
      if (!c.ok())
        d_->error(loc(x), c.status().message());
      else
        r->millicpus = *c;
    }
    if (auto x = v["memory"]) {
      auto m = parse_memory_bytes(scalar(x, "memory"));
      if (!m.ok())
        d_->error(loc(x), m.status().message());
      else
        r->memory_bytes = *m;
    }
    if (auto x = v["gpus"]) r->gpus = positive_int(x, "gpus", 0);
    if (auto x = v["nodes"]) r->nodes = positive_int(x, "nodes", 1);
    if (auto x = v["tasks_per_node"]) r->tasks_per_node = positive_int(x, "tasks_per_node", 1);
    if (auto x = v["time_limit"]) r->time_limit_ms = duration(x, "time_limit");
    if (auto x = v["partition"]) r->partition = scalar(x, "partition");
    if (auto x = v["account"]) r->account = scalar(x, "account");
    if (auto x = v["qos"]) r->qos = scalar(x, "qos");
    if (auto x = v["constraint"]) r->constraint = scalar(x, "constraint");
    if (auto x = v["k8s"]) parse_k8s_placement(x, r);
  }

  // resources.k8s: what a Kubernetes user writes in a pod spec, checked for shape here; the
  // manifests' own schema check is the k8s backend's tests.
  void parse_k8s_placement(const YAML::Node& v, Resources* r) {
    if (!v.IsMap()) {
      d_->error(
          loc(v),
          "'resources.k8s' must be a mapping of node_selector, tolerations, affinity, distributed");
      return;
    }
    check_keys(v, {"node_selector", "tolerations", "affinity", "distributed"}, "resources.k8s");
    if (auto x = v["node_selector"]) {
      if (!x.IsMap())
        d_->error(loc(x), "'node_selector' must map node label names to values");
      else
        for (auto it = x.begin(); it != x.end(); ++it)
          r->k8s_node_selector[it->first.Scalar()] =
              scalar(it->second, "node_selector." + it->first.Scalar());
    }
    if (auto x = v["tolerations"]) {
      if (!x.IsSequence())
        d_->error(loc(x), "'tolerations' must be a list of {key, operator, value, effect}");
      else
        r->k8s_tolerations = yaml_to_json(x);
    }
    if (auto x = v["affinity"]) {
      if (!x.IsMap())
        d_->error(loc(x),
                  "'affinity' must be a mapping (nodeAffinity, podAffinity, podAntiAffinity)");
      else
        r->k8s_affinity = yaml_to_json(x);
    }
    if (auto x = v["distributed"]) {
      std::string d = scalar(x, "distributed");
      if (d != "pytorchjob" && d != "mpijob")
        d_->error(loc(x), "'distributed' must be pytorchjob or mpijob, not '" + d + "'");
      else
        r->k8s_distributed = d;
    }
  }

  // outer_loops: [{loop: NAME, for_each: ITEMS, parallelism: N}, ...], outermost first.
  void parse_outer_loops(const YAML::Node& list, const std::string& where, Task* t) {
    if (!list.IsSequence()) {
      d_->error(loc(list), where + ": 'outer_loops' must be a list of {loop, for_each}");
      return;
    }
    for (const auto& e : list) {
      if (!e.IsMap() || !e["loop"] || !e["for_each"]) {
        d_->error(loc(e), where + ": each of 'outer_loops' needs 'loop' and 'for_each'");
        continue;
      }
      check_keys(e, {"loop", "for_each", "parallelism"}, where + " outer loop");
      LoopLevel l;
      l.id = scalar(e["loop"], "loop");
      l.items = parse_binding(e["for_each"]);
      l.items.loc = loc(e["for_each"]);
      l.loc = loc(e);
      if (auto p = e["parallelism"]) l.parallelism = positive_int(p, "parallelism", 1);
      t->outer_loops.push_back(std::move(l));
    }
    if (!t->outer_loops.empty() && (t->loop.empty() || !t->for_each))
      d_->error(loc(list), where + ": 'outer_loops' needs the task's own 'for_each' and 'loop'");
  }

  Task parse_task(const std::string& name, const YAML::Node& key, const YAML::Node& v,
                  PipelineSpec* spec, bool is_finally) {
    Task t;
    t.name = name;
    t.loc = loc(key);
    t.is_finally = is_finally;
    std::string where = (is_finally ? "finally task '" : "task '") + name + "'";
    if (!v.IsMap()) {
      d_->error(loc(v), where + " must be a mapping with at least 'component'");
      return t;
    }
    check_keys(
        v,
        {"component", "inputs", "after", "when", "for_each", "parallelism", "loop", "outer_loops",
         "retry", "cache_key", "timeout", "cache", "resources", "ignore_upstream_failure"},
        where);
    if (auto c = v["component"]) {
      if (c.IsMap()) {
        // An inline component, named after its task.
        std::string cname = name;
        while (spec->components.count(cname)) cname += "_";
        spec->components[cname] = parse_component(cname, c, c);
        t.component = cname;
      } else {
        t.component = scalar(c, "component");
      }
    } else {
      d_->error(loc(v), where + " has no 'component'");
    }
    if (auto in = v["inputs"]) {
      if (!in.IsMap())
        d_->error(loc(in), "'inputs' must be a mapping of input name to value");
      else
        for (auto it = in.begin(); it != in.end(); ++it) {
          std::string iname = it->first.Scalar();
          if (t.inputs.count(iname))
            d_->error(loc(it->first), "duplicate input '" + iname + "' in " + where);
          Binding b = parse_binding(it->second);
          b.loc = loc(it->second);
          t.inputs[iname] = std::move(b);
        }
    }
    if (auto a = v["after"]) t.after = string_list(a, "after");
    if (auto w = v["when"]) {
      t.when_loc = loc(w);
      auto e = Expr::parse(scalar(w, "when"));
      if (!e.ok())
        d_->error(loc(w), e.status().message());
      else
        t.when = *e;
    }
    if (auto f = v["for_each"]) {
      t.for_each_loc = loc(f);
      t.for_each = parse_binding(f);
    }
    if (auto p = v["parallelism"]) t.parallelism = positive_int(p, "parallelism", 1);
    if (auto l = v["loop"]) t.loop = scalar(l, "loop");
    if (auto o = v["outer_loops"]) parse_outer_loops(o, where, &t);
    if (auto r = v["retry"]) parse_retry(r, &t.retry);
    if (auto x = v["timeout"]) t.timeout_ms = duration(x, "timeout");
    if (auto x = v["cache"]) t.cache = parse_bool(x, "cache");
    if (auto x = v["ignore_upstream_failure"])
      t.ignore_upstream_failure = parse_bool(x, "ignore_upstream_failure");
    if (auto x = v["cache_key"]) t.cache_key = scalar(x, "cache_key");
    if (auto x = v["resources"]) parse_resources(x, &t.resources);
    return t;
  }

  std::string file_;
  Diagnostics* d_;
};

}  // namespace

ParseOutcome parse_native_pipeline(const std::string& yaml_text, const std::string& file,
                                   const std::string& base_dir) {
  ParseOutcome out;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    SourceLoc l{file, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                e.mark.column >= 0 ? e.mark.column + 1 : 0};
    out.diagnostics.error(l, "not valid YAML: " + e.msg);
    return out;
  }
  PipelineSpec spec;
  spec.source_file = file;
  spec.base_dir = base_dir;
  try {
    NativeParser p(file, &out.diagnostics);
    p.parse_root(root, &spec);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on some malformed node accesses; report them as input errors.
    SourceLoc l{file, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                e.mark.column >= 0 ? e.mark.column + 1 : 0};
    out.diagnostics.error(l, "malformed pipeline: " + e.msg);
    return out;
  }
  out.spec = std::move(spec);
  return out;
}

ParseOutcome parse_native_pipeline_file(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) {
    ParseOutcome out;
    out.diagnostics.error({path, 0, 0}, text.status().message());
    return out;
  }
  std::filesystem::path p(path);
  std::string base = std::filesystem::absolute(p).parent_path().string();
  return parse_native_pipeline(*text, path, base);
}

}  // namespace slipway::spec
