// What a KFP task gets beyond its component's declared inputs: f-strings of its inputs, resource
// limits from its inputs, and its kfp-kubernetes platform settings.
#include <regex>

#include "core/regex_replace.h"
#include "core/strings.h"
#include "core/yaml_json.h"
#include "spec/kfp_importer.h"
#include "spec/kfp_ir.h"

namespace slipway::spec::kfp {

std::optional<Binding> binding_of(const Source& src, const SourceLoc& where, Diagnostics* d) {
  Binding b;
  b.loc = where;
  if (src.literal) {
    b.literal = src.value;
    return b;
  }
  auto tmpl = parse_template(src.text);
  if (!tmpl.ok()) {
    d->error(where, tmpl.status().message());
    return std::nullopt;
  }
  b.is_template = true;
  b.text = src.text;
  b.tmpl = *tmpl;
  return b;
}

namespace {

// `value` (a constant, strings nested in lists and objects included) with the task inputs it
// formats filled in; nullopt after an error. `self` is the input being filled, which may not
// format itself ("" for a resource); `what` names it in messages.
std::optional<Source> fill_inputs(const Json& value, const std::map<std::string, Source>& sources,
                                  const std::string& self, const std::string& what,
                                  const SourceLoc& where, Diagnostics* d) {
  static const std::regex kIn(R"(\{\{\$\.inputs\.parameters\['([^']+)'\]\}\})");
  bool templated = false, failed = false;
  std::function<Json(const Json&)> fill = [&](const Json& v) -> Json {
    if (v.is_object() || v.is_array()) {
      Json c = v;
      for (auto& e : c) e = fill(e);
      return c;
    }
    if (!v.is_string()) return v;
    std::string text =
        replace_matches(v.get<std::string>(), kIn, [&](const std::smatch& m) -> std::string {
          auto ref = sources.find(m[1]);
          if (ref == sources.end() || m[1] == self) {
            d->error(where,
                     what + " formats input '" + m[1].str() + "', which the task does not receive");
            failed = true;
            return "";
          }
          if (!ref->second.literal) {
            templated = true;
            return ref->second.text;
          }
          const Json& lv = ref->second.value;
          return lv.is_string() ? lv.get<std::string>() : render_param(lv);
        });
    if (text.find("{{$.") != std::string::npos) {
      auto conv = convert_kfp_placeholders(text);
      if (!conv.ok()) {
        d->error(where, what + ": " + conv.status().message());
        failed = true;
        return v;
      }
      text = *conv;
      templated = true;
    }
    return Json(text);
  };
  Json filled = fill(value);
  if (failed) return std::nullopt;
  if (!templated) return Source{true, filled, ""};
  return Source{false, {}, filled.is_string() ? filled.get<std::string>() : dump_json(filled)};
}

}  // namespace

void fill_format_strings(std::map<std::string, Source>* sources, const SourceLoc& where,
                         Diagnostics* d) {
  for (auto& [name, src] : *sources) {
    if (!src.literal) continue;
    if (auto filled = fill_inputs(src.value, *sources, name, "input '" + name + "'", where, d))
      src = *filled;
  }
}

void read_resources(const YAML::Node& res, const std::map<std::string, Source>& sources,
                    const std::string& file, Task* task, Diagnostics* d) {
  auto field = [&](std::initializer_list<Key> path, const char* what, const char* suffix = "") {
    YAML::Node n = at(res, path);
    if (!n) return;
    SourceLoc where = yaml_loc(n, file);
    auto src = fill_inputs(Json(n.as<std::string>("")), sources, "", std::string(what) + " limit",
                           where, d);
    if (!src) return;
    if (!src->literal) {
      if (auto b = binding_of(*src, where, d)) task->resource_inputs[what] = *b;
      return;
    }
    std::string text = src->value.get<std::string>();
    if (!text.empty()) text += suffix;
    if (Status s = set_resource(&task->resources, what, text); !s.ok())
      d->error(where, std::string(what) + " limit: " + s.message());
  };
  field({"resourceCpuLimit"}, "cpu");
  if (!at(res, {"resourceCpuLimit"})) field({"cpuLimit"}, "cpu");
  field({"resourceMemoryLimit"}, "memory");
  // The older double field counts gigabytes (PipelineSpec's memory_limit).
  if (!at(res, {"resourceMemoryLimit"})) field({"memoryLimit"}, "memory", "G");
  field({"accelerator", "resourceCount"}, "gpus");
  if (!at(res, {"accelerator", "resourceCount"})) field({"accelerator", "count"}, "gpus");
}

namespace {

// The settings as JSON, each parameter reference (a claim or secret name from an input or an
// upstream output) replaced by {"value": literal-or-template}.
Json with_values(const Json& j, const std::map<std::string, Source>& sources,
                 const OutputRef& output_ref, const SourceLoc& where, Diagnostics* d) {
  if (j.is_array()) {
    Json a = Json::array();
    for (const auto& e : j) a.push_back(with_values(e, sources, output_ref, where, d));
    return a;
  }
  if (!j.is_object()) return j;
  auto text = [](const Json& v, const char* f) {
    return v.is_object() && v.contains(f) && v[f].is_string() ? v[f].get<std::string>() : "";
  };
  Json o = Json::object();
  for (const auto& [k, v] : j.items()) {
    if (k == "componentInputParameter") {
      auto it = sources.find(v.is_string() ? v.get<std::string>() : "");
      if (it == sources.end() || it->second.absent)
        o["value"] = nullptr;  // an optional name not given: the setting is skipped
      else
        o["value"] = it->second.literal ? it->second.value : Json(it->second.text);
    } else if (k == "taskOutputParameter") {
      auto r = output_ref(text(v, "producerTask"), text(v, "outputParameterKey"));
      if (!r.ok())
        d->error(where, "kubernetes settings: " + r.status().message());
      else
        o["value"] = *r;
    } else if (k == "constant") {
      o["value"] = v;
    } else if (k == "runtimeValue" && v.is_object()) {
      o["value"] = v.value("constant", Json());
    } else {
      o[k] = with_values(v, sources, output_ref, where, d);
    }
  }
  return o;
}

}  // namespace

void read_platform_settings(const YAML::Node& k8s, const std::map<std::string, Source>& scope,
                            const OutputRef& output_ref, const std::string& file, Task* task,
                            Diagnostics* d) {
  SourceLoc where = yaml_loc(k8s, file);
  task->kubernetes = with_values(yaml_to_json(k8s), scope, output_ref, where, d);
  // Placement and time only: node selector and tolerations go to --backend k8s and are ignored
  // elsewhere (they cannot change results); the deadline is the timeout on every backend.
  for (auto [k, v] : entries(at(k8s, {"nodeSelector", "labels"})))
    task->resources.k8s_node_selector[k] = v.as<std::string>("");
  Json tolerations = Json::array();
  for (const auto& tol : at(k8s, {"tolerations"}))
    if (!at(tol, {"tolerationJson"})) tolerations.push_back(yaml_to_json(tol));
  if (!tolerations.empty()) task->resources.k8s_tolerations = tolerations;
  if (YAML::Node deadline = at(k8s, {"activeDeadlineSeconds"})) {
    auto s = coerce_param(yaml_to_json(deadline), ParamType::kInt);
    if (!s.ok() || *s < 0)
      d->error(yaml_loc(deadline, file), "activeDeadlineSeconds is a whole number of seconds");
    else
      task->timeout_ms = s->get<std::int64_t>() * 1000;
  }
  if (at(k8s, {"nodeSelector"}) || at(k8s, {"tolerations"}) || at(k8s, {"nodeAffinity"}))
    d->warning(where, "task '" + task->name +
                          "': node selector, tolerations and affinity apply with --backend k8s; "
                          "other backends ignore them (they do not change results)");
}

}  // namespace slipway::spec::kfp
