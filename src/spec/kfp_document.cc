#include "spec/kfp_document.h"

#include <set>

#include "core/yaml_json.h"
#include "spec/kfp_ir.h"

namespace slipway::spec {

namespace {

bool has(const YAML::Node& map, const char* key) {
  return map.IsMap() && static_cast<const YAML::Node&>(map)[key].IsDefined();
}

bool is_pipeline_spec(const YAML::Node& n) {
  return (has(n, "pipelineInfo") || has(n, "pipeline_info")) && has(n, "root");
}

// Keys under these fields are names the pipeline's author chose (a component, a task, an input),
// never proto field names, so they keep their spelling.
bool names_map(const std::string& field) {
  static const std::set<std::string> kMaps = {
      "components", "executors",       "tasks",     "parameters", "artifacts",
      "outputs",    "parameterValues", "platforms", "labels",     "annotations"};
  return kMaps.count(field) > 0;
}

// Values under these fields are the author's data (a constant, a default, metadata): copied as
// they are.
bool opaque_value(const std::string& field) {
  static const std::set<std::string> kData = {"constant", "defaultValue", "metadata",
                                              "raw",      "literals",     "config"};
  return kData.count(field) > 0;
}

// `outputs` of a DAG holds the fixed keys parameters/artifacts, not names: a names_map only when
// its parent was not itself a names_map of fields.
YAML::Node camelize(const YAML::Node& n, bool keys_are_names) {
  if (n.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& e : n) out.push_back(camelize(e, false));
    return out;
  }
  if (!n.IsMap()) return n;
  YAML::Node out(YAML::NodeType::Map);
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string key = it->first.Scalar();
    std::string field = keys_are_names ? key : proto_camel_case(key);
    if (!keys_are_names && opaque_value(field)) {
      out[field] = it->second;
      continue;
    }
    bool child_names = !keys_are_names && names_map(field) && field != "outputs";
    out[field] = camelize(it->second, child_names);
  }
  return out;
}

}  // namespace

std::string proto_camel_case(const std::string& snake) {
  std::string out;
  bool upper = false;
  for (char c : snake) {
    if (c == '_') {
      upper = !out.empty();
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

bool looks_like_kfp_ir(const std::string& text) {
  bool info = text.find("pipelineInfo") != std::string::npos ||
              text.find("pipeline_info") != std::string::npos;
  bool root = text.find("root") != std::string::npos;
  // A platform spec alone: `platforms` as a top-level key, in YAML or JSON.
  bool platform_only =
      (text.rfind("platforms:", 0) == 0 || text.find("\nplatforms:") != std::string::npos ||
       text.find("\"platforms\"") != std::string::npos) &&
      text.find("kubernetes") != std::string::npos;
  return (info && root) || platform_only;
}

KfpDocument read_kfp_document(const std::string& text, const std::string& file, Diagnostics* d) {
  KfpDocument out;
  std::vector<YAML::Node> docs = load_yaml_documents(text);
  // Default-constructed nodes are defined (null), so presence is kept apart.
  YAML::Node spec, platforms;
  bool have_spec = false, have_platforms = false;
  auto take_platforms = [&](const YAML::Node& n) {
    if (have_platforms) return;
    platforms.reset(n);
    have_platforms = true;
  };
  auto take_spec = [&](const YAML::Node& n) {
    if (have_spec) {
      // KFP's API server: "multiple pipeline specs provided".
      d->error(kfp::yaml_loc(n, file), "a second pipeline spec; a KFP file holds one");
      return;
    }
    spec.reset(n);
    have_spec = true;
  };
  for (const YAML::Node& doc : docs) {
    if (!doc.IsMap()) continue;
    if (is_pipeline_spec(doc)) {
      take_spec(doc);
    } else {
      // An API object: a pipeline version or run (`pipeline_spec`), a Vertex job (`pipelineSpec`).
      for (const char* key : {"pipeline_spec", "pipelineSpec"})
        if (has(doc, key)) {
          YAML::Node inner = static_cast<const YAML::Node&>(doc)[key];
          // A pipeline version stores {pipeline_spec, platform_spec} under pipeline_spec.
          if (inner.IsMap() && !is_pipeline_spec(inner) && has(inner, "pipeline_spec")) {
            if (has(inner, "platform_spec"))
              take_platforms(static_cast<const YAML::Node&>(inner)["platform_spec"]);
            inner.reset(static_cast<const YAML::Node&>(inner)["pipeline_spec"]);
          }
          if (is_pipeline_spec(inner)) take_spec(inner);
        }
    }
    for (const char* key : {"platforms", "platform_spec", "platformSpec"})
      if (has(doc, key)) take_platforms(static_cast<const YAML::Node&>(doc)[key]);
  }
  if (!have_spec) {
    // KFP's API server refuses such a file the same way ("no pipeline spec is provided").
    d->error({file, 1, 1},
             have_platforms
                 ? "this is a KFP platform spec without a pipeline spec; KFP reads it only "
                   "next to the pipeline it configures (a second YAML document)"
                 : "no KFP pipeline spec (pipelineInfo, root) in this file");
    out.spec = YAML::Node(YAML::NodeType::Undefined);
    return out;
  }
  bool proto_names = has(spec, "pipeline_info");
  out.spec = proto_names ? camelize(spec, false) : spec;
  if (have_platforms) {
    YAML::Node p = proto_names || has(platforms, "platforms") ? camelize(platforms, false)
                                                              : YAML::Node(platforms);
    if (has(p, "platforms")) p.reset(static_cast<const YAML::Node&>(p)["platforms"]);
    if (has(p, "kubernetes")) out.platform.reset(static_cast<const YAML::Node&>(p)["kubernetes"]);
  }
  return out;
}

namespace kfp {

YAML::Node at(const YAML::Node& node, std::initializer_list<Key> path) {
  YAML::Node n;
  n.reset(node);
  for (const Key& k : path) {
    if (!n.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    if (k.index >= 0) {
      if (!n.IsSequence() || static_cast<size_t>(k.index) >= n.size())
        return YAML::Node(YAML::NodeType::Undefined);
      YAML::Node next = n[static_cast<size_t>(k.index)];
      n.reset(next);  // reset rebinds; operator= would overwrite the document
    } else {
      if (!n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
      const YAML::Node& cn = n;
      YAML::Node next = cn[k.key];
      if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
      n.reset(next);
    }
  }
  return n;
}

std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& map) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (map && map.IsMap())
    for (auto it = map.begin(); it != map.end(); ++it)
      out.emplace_back(it->first.Scalar(), it->second);
  return out;
}

SourceLoc yaml_loc(const YAML::Node& n, const std::string& file) {
  YAML::Mark m = n.Mark();
  return m.line < 0 ? SourceLoc{file, 0, 0} : SourceLoc{file, m.line + 1, m.column + 1};
}

}  // namespace kfp

}  // namespace slipway::spec
