#include "spec/placeholder.h"

#include <algorithm>

#include "core/strings.h"

namespace slipway::spec {

bool Template::has_refs() const {
  for (const auto& p : parts)
    if (p.is_ref) return true;
  return false;
}

static bool valid_ident(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

Result<Ref> parse_ref(const std::string& raw) {
  if (raw.find('|') != std::string::npos) {
    std::vector<Ref> alts;
    for (const auto& piece : split(raw, '|')) {
      auto a = parse_ref(piece);
      if (!a.ok()) return a;
      if (a->scope != Ref::Scope::kTaskOutput)
        return InvalidInput("bad placeholder '{{" + trim(raw) +
                            "}}': alternatives (a | b) are task outputs, {{tasks.T.outputs.X}}");
      alts.push_back(*a);
    }
    Ref r = alts.front();
    r.text = trim(raw);
    r.alternatives = std::move(alts);
    return r;
  }
  Ref r;
  r.text = trim(raw);
  std::vector<std::string> p = split(r.text, '.');
  auto bad = [&](const std::string& why) {
    return InvalidInput("bad placeholder '{{" + r.text + "}}': " + why);
  };
  for (const auto& seg : p)
    if (!valid_ident(seg)) return bad("empty or invalid name segment");
  const std::string& head = p[0];
  if (head == "params") {
    if (p.size() != 2) return bad("write {{params.NAME}}");
    r.scope = Ref::Scope::kParam;
    r.name = p[1];
  } else if (head == "tasks") {
    if (p.size() == 3 && p[2] == "status") {
      r.scope = Ref::Scope::kTaskStatus;
      r.task = p[1];
    } else if (p.size() == 4 && p[2] == "outputs") {
      r.scope = Ref::Scope::kTaskOutput;
      r.task = p[1];
      r.name = p[3];
    } else {
      return bad("write {{tasks.TASK.outputs.NAME}} or {{tasks.TASK.status}}");
    }
  } else if (head == "item") {
    if (p.size() > 2) return bad("write {{item}} or {{item.FIELD}}");
    r.scope = Ref::Scope::kItem;
    if (p.size() == 2) r.field = p[1];
  } else if (head == "loops") {
    if (p.size() < 3 || p.size() > 4 || p[2] != "item")
      return bad("write {{loops.LOOP.item}} or {{loops.LOOP.item.FIELD}}");
    r.scope = Ref::Scope::kItem;
    r.loop = p[1];
    if (p.size() == 4) r.field = p[3];
  } else if (head == "inputs" || head == "outputs") {
    if (p.size() == 4 && p[2] == "metadata") {
      // {{inputs.NAME.metadata.KEY}}: one entry of an artifact's metadata.
      r.scope = head == "inputs" ? Ref::Scope::kInput : Ref::Scope::kOutput;
      r.name = p[1];
      r.field = "metadata." + p[3];
      return r;
    }
    if (p.size() < 2 || p.size() > 3)
      return bad("write {{" + head + ".NAME}} or {{" + head + ".NAME.path}}");
    r.scope = head == "inputs" ? Ref::Scope::kInput : Ref::Scope::kOutput;
    r.name = p[1];
    if (p.size() == 3) {
      r.field = p[2];
      std::vector<std::string> fields = {"path", "uri", "value", "metadata"};
      if (std::find(fields.begin(), fields.end(), r.field) == fields.end())
        return bad("unknown field '" + r.field + "'" + did_you_mean(r.field, fields) +
                   "; use path, uri, value or metadata");
    }
  } else if (head == "executor") {
    // executor.input_escaped: the same JSON escaped once more as a JSON string's contents, for
    // a JSON text that embeds it (Vertex AI's {{$.json_escape[1]}}).
    if (p.size() != 2 || (p[1] != "input" && p[1] != "input_escaped"))
      return bad("write {{executor.input}}");
    r.scope = Ref::Scope::kExecutorInput;
    r.name = p[1];
  } else if (head == "run" || head == "task" || head == "pipeline") {
    static const std::vector<std::string> kRun = {"id", "status", "root", "name", "kfp_state"};
    static const std::vector<std::string> kTask = {"name", "attempt", "index"};
    static const std::vector<std::string> kPipeline = {"name"};
    const auto& allowed = head == "run" ? kRun : head == "task" ? kTask : kPipeline;
    if (p.size() != 2) return bad("write {{" + head + "." + allowed[0] + "}}");
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == p[1];
    if (!ok)
      return bad("unknown attribute '" + p[1] + "'" + did_you_mean(p[1], allowed) + "; one of " +
                 join(allowed, ", "));
    r.scope = head == "run"    ? Ref::Scope::kRun
              : head == "task" ? Ref::Scope::kTask
                               : Ref::Scope::kPipeline;
    r.name = p[1];
  } else {
    static const std::vector<std::string> kHeads = {"params",   "tasks",   "item", "loops",
                                                    "inputs",   "outputs", "run",  "task",
                                                    "pipeline", "executor"};
    return bad("unknown scope '" + head + "'" + did_you_mean(head, kHeads) +
               "; one of params, tasks, item, inputs, outputs, run, task, pipeline");
  }
  return r;
}

Result<Template> parse_template(const std::string& text, size_t* offset_out) {
  Template t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) {
      t.parts.push_back({false, text.substr(pos), {}, pos});
      break;
    }
    if (open > pos) t.parts.push_back({false, text.substr(pos, open - pos), {}, pos});
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) {
      if (offset_out) *offset_out = open;
      return InvalidInput("unclosed placeholder: '{{' without '}}'");
    }
    auto ref = parse_ref(text.substr(open + 2, close - open - 2));
    if (!ref.ok()) {
      if (offset_out) *offset_out = open;
      return ref.status();
    }
    Template::Part part;
    part.is_ref = true;
    part.ref = *ref;
    part.offset = open;
    t.parts.push_back(std::move(part));
    pos = close + 2;
  }
  return t;
}

}  // namespace slipway::spec
