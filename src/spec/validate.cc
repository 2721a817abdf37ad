#include "spec/validate.h"

#include <functional>
#include <set>

#include "core/strings.h"

namespace slipway::spec {

namespace {

std::vector<std::string> names_of(const std::vector<IoDecl>& decls) {
  std::vector<std::string> out;
  for (const auto& d : decls) out.push_back(d.name);
  return out;
}

// Can a value of type `from` be passed to an input of type `to`?
bool assignable(const TypeRef& from, const TypeRef& to) {
  if (from.is_artifact != to.is_artifact) return false;
  if (from.is_artifact) {
    if (from.is_list != to.is_list) return false;
    // KFP's rule: Artifact (system.Artifact) matches any artifact type, either way.
    return to.artifact == "Artifact" || from.artifact == "Artifact" || from.artifact == to.artifact;
  }
  if (from.param == to.param) return true;
  if (to.param == ParamType::kString) return true;  // anything renders to text
  if (from.param == ParamType::kInt && to.param == ParamType::kFloat) return true;
  return false;
}

class Validator {
 public:
  Validator(const PipelineSpec& spec, Diagnostics* d) : s_(spec), d_(d) {}

  void run() {
    std::set<std::string> names;
    for (const auto& p : s_.params) check_param(p);
    for (const auto& [name, c] : s_.components) check_component(c);
    for (const auto& t : s_.tasks) {
      if (!names.insert(t.name).second)
        d_->error(t.loc,
                  "task name '" + t.name + "' is used twice (tasks and finally share names)");
      check_task(t);
    }
    check_cycles();
  }

 private:
  std::vector<std::string> task_names() const {
    std::vector<std::string> out;
    for (const auto& t : s_.tasks) out.push_back(t.name);
    return out;
  }

  void check_param(const IoDecl& p) {
    if (p.default_value && !p.default_value->is_null()) {
      auto c = coerce_param(*p.default_value, p.type.param);
      if (!c.ok())
        d_->error(p.loc, "default of parameter '" + p.name + "': " + c.status().message());
    }
  }

  void check_component(const Component& c) {
    if (c.command.empty()) return;  // reported by the parser
    auto check_strings = [&](const std::vector<std::string>& v, const std::string& what) {
      for (const auto& s : v) {
        auto t = parse_template(s);
        if (!t.ok()) {
          d_->error(c.loc, "component '" + c.name + "' " + what + ": " + t.status().message());
          continue;
        }
        for (const auto& part : t->parts) {
          if (!part.is_ref) continue;
          check_component_ref(c, part.ref, what);
        }
      }
    };
    check_strings(c.command, "command");
    check_strings(c.args, "args");
    for (const auto& [k, v] : c.env) check_strings({v}, "env " + k);
  }

  void check_component_ref(const Component& c, const Ref& r, const std::string& what) {
    std::string where = "component '" + c.name + "' " + what + ": {{" + r.text + "}}";
    switch (r.scope) {
      case Ref::Scope::kInput: {
        const IoDecl* in = c.input(r.name);
        if (!in) {
          d_->error(c.loc, where + " names no input of the component" +
                               did_you_mean(r.name, names_of(c.inputs)));
        } else if (r.field == "path" || r.field == "uri") {
          if (!in->type.is_artifact)
            d_->error(c.loc, where + ": '" + r.name + "' is a parameter; ." + r.field +
                                 " applies to artifacts");
        }
        break;
      }
      case Ref::Scope::kOutput:
        if (!c.output(r.name))
          d_->error(c.loc, where + " names no output of the component" +
                               did_you_mean(r.name, names_of(c.outputs)));
        break;
      case Ref::Scope::kRun:
      case Ref::Scope::kTask:
      case Ref::Scope::kPipeline:
      case Ref::Scope::kExecutorInput:
        break;
      default:
        d_->error(c.loc, where +
                             ": components see only inputs.*, outputs.*, run.*, task.* and "
                             "pipeline.*; bind pipeline parameters and upstream outputs to "
                             "an input in the task instead");
    }
  }

  // The type a single-placeholder binding delivers, or nullopt when it is not typed (run.*).
  std::optional<TypeRef> check_binding_ref(const Task& t, const Ref& r, const SourceLoc& loc,
                                           bool allow_status) {
    for (size_t i = 1; i < r.alternatives.size(); ++i)
      check_binding_ref(t, r.alternatives[i], loc, allow_status);
    switch (r.scope) {
      case Ref::Scope::kParam: {
        const IoDecl* p = s_.param(r.name);
        if (!p) {
          d_->error(loc, "{{" + r.text + "}}: no pipeline parameter '" + r.name + "'" +
                             did_you_mean(r.name, names_of(s_.params)));
          return std::nullopt;
        }
        return p->type;
      }
      case Ref::Scope::kTaskOutput:
      case Ref::Scope::kTaskStatus: {
        const Task* up = s_.task(r.task);
        if (!up) {
          d_->error(loc, "{{" + r.text + "}}: no task '" + r.task + "'" +
                             did_you_mean(r.task, task_names()));
          return std::nullopt;
        }
        if (up->name == t.name) {
          d_->error(loc, "{{" + r.text + "}}: task '" + t.name + "' cannot read its own outputs");
          return std::nullopt;
        }
        if (up->is_finally && !t.is_finally) {
          d_->error(loc, "{{" + r.text + "}}: '" + r.task +
                             "' is a finally task and runs last; only other finally tasks may "
                             "read it");
          return std::nullopt;
        }
        if (r.scope == Ref::Scope::kTaskStatus) {
          if (!allow_status)
            d_->error(loc, "{{" + r.text +
                               "}}: a task's status can be read only in 'when' and "
                               "by finally tasks");
          return TypeRef{};
        }
        const Component* uc = s_.component_of(*up);
        if (!uc) return std::nullopt;
        const IoDecl* out = uc->output(r.name);
        if (!out) {
          d_->error(loc, "{{" + r.text + "}}: task '" + r.task + "' has no output '" + r.name +
                             "'" + did_you_mean(r.name, names_of(uc->outputs)));
          return std::nullopt;
        }
        TypeRef type = out->type;
        if (loop_chain(*up).size() > common_loop_depth(t, *up)) {
          // Fan-in: a fanned-out task's output arrives as a list of its items' outputs, one
          // list level per loop the reader is not in (within a loop, an iteration reads the
          // same iteration's output).
          if (type.is_artifact)
            type.is_list = true;
          else
            type = TypeRef{false, ParamType::kList, "", false};
        }
        return type;
      }
      case Ref::Scope::kItem: {
        if (!t.for_each) {
          d_->error(loc, "{{" + r.text + "}}: task '" + t.name +
                             "' has no for_each, so there is no item");
          return std::nullopt;
        }
        if (r.loop.empty()) return std::nullopt;
        std::vector<std::string> ids;
        for (const auto& l : loop_chain(t)) ids.push_back(l.id);
        if (std::find(ids.begin(), ids.end(), r.loop) == ids.end())
          d_->error(loc, "{{" + r.text + "}}: task '" + t.name + "' is not in loop '" + r.loop +
                             "'" + did_you_mean(r.loop, ids));
        return std::nullopt;
      }
      case Ref::Scope::kRun:
        if ((r.name == "status" || r.name == "kfp_state") && !t.is_finally)
          d_->error(loc, "{{run." + r.name + "}} is known only to finally tasks");
        return std::nullopt;
      case Ref::Scope::kTask:
      case Ref::Scope::kPipeline:
        return std::nullopt;
      case Ref::Scope::kInput:
      case Ref::Scope::kOutput:
      case Ref::Scope::kExecutorInput:
        d_->error(loc, "{{" + r.text +
                           "}}: inputs.*, outputs.* and executor.input are for component command "
                           "lines; here use params.*, tasks.T.outputs.* or item");
        return std::nullopt;
    }
    return std::nullopt;
  }

  void check_task(const Task& t) {
    std::string where = (t.is_finally ? "finally task '" : "task '") + t.name + "'";
    const Component* c = s_.component_of(t);
    if (!c) {
      if (!t.component.empty()) {
        std::vector<std::string> cs;
        for (const auto& [n, _] : s_.components) cs.push_back(n);
        d_->error(t.loc, where + " uses component '" + t.component + "', which is not defined" +
                             did_you_mean(t.component, cs));
      }
    }
    for (const auto& [name, b] : t.inputs) {
      const IoDecl* in = c ? c->input(name) : nullptr;
      if (c && !in) {
        d_->error(b.loc, where + ": component '" + c->name + "' has no input '" + name + "'" +
                             did_you_mean(name, names_of(c->inputs)));
        continue;
      }
      check_binding(t, b, in, where + " input '" + name + "'");
    }
    if (c) {
      for (const auto& in : c->inputs) {
        if (!t.inputs.count(in.name) && !in.default_value && !in.optional)
          d_->error(t.loc, where + " does not set required input '" + in.name + "' (" +
                               in.type.to_string() + ") of component '" + c->name + "'");
      }
    }
    for (const auto& a : t.after) {
      if (a == t.name)
        d_->error(t.loc, where + " cannot run after itself");
      else if (!s_.task(a))
        d_->error(t.loc,
                  where + ": 'after' names no task '" + a + "'" + did_you_mean(a, task_names()));
      else if (s_.task(a)->is_finally && !t.is_finally)
        d_->error(t.loc, where + ": cannot run after finally task '" + a + "'");
    }
    if (t.when)
      for (const auto& r : t.when->refs()) {
        auto type = check_binding_ref(t, r, t.when_loc, /*allow_status=*/true);
        if (type && type->is_artifact)
          d_->error(t.when_loc, "condition of " + where + " reads artifact {{" + r.text +
                                    "}}; conditions compare parameters");
      }
    auto chain = loop_chain(t);
    for (size_t level = 0; level < chain.size(); ++level) check_loop_items(t, chain, level, where);
    if (t.parallelism && !t.for_each)
      d_->warning(t.loc, where + ": 'parallelism' has no effect without 'for_each'");
    if (!t.loop.empty()) check_loop(t, where);
    if (t.resources.millicpus <= 0)
      d_->error(t.loc, where + ": resources.cpus must be more than 0");
  }

  // The items of loop `level` of the task: a list, or one placeholder for a list that is known
  // before the loop starts (not a task of the loop itself, nor its own item).
  void check_loop_items(const Task& t, const std::vector<LoopLevel>& chain, size_t level,
                        const std::string& where) {
    const Binding& f = chain[level].items;
    std::string what = level + 1 == chain.size() ? "for_each of " + where
                                                 : "loop '" + chain[level].id + "' of " + where;
    if (!f.is_template) {
      if (!f.literal.is_array()) d_->error(f.loc, what + " must be a list, e.g. [1, 2, 3]");
      return;
    }
    if (!f.tmpl.is_single_ref()) {
      d_->error(f.loc, what + " must be a list or one placeholder");
      return;
    }
    const Ref& r = f.tmpl.parts[0].ref;
    if (r.scope == Ref::Scope::kItem) {
      bool outer = false;
      for (size_t i = 0; i < level; ++i) outer = outer || chain[i].id == r.loop;
      if (!outer)
        d_->error(f.loc, what +
                             " cannot iterate over its own item; an inner loop may iterate "
                             "over an outer loop's item, {{loops.OUTER.item}}");
      return;
    }
    if (r.scope == Ref::Scope::kTaskOutput) {
      const Task* up = s_.task(r.task);
      if (up && common_loop_depth(t, *up) > level) {
        d_->error(f.loc, what + " reads task '" + r.task +
                             "', which is inside that loop; a loop's items must be known before "
                             "it starts");
        return;
      }
    }
    auto type = check_binding_ref(t, r, f.loc, false);
    // A list of artifacts (a fan-in) is a list too: each item is one artifact.
    if (type && (type->is_artifact ? !type->is_list : type->param != ParamType::kList))
      d_->error(f.loc,
                what + " needs a list, but {{" + f.text.substr(2) + " is a " + type->to_string());
  }

  // Tasks of one loop pair up item by item, so they must iterate over the same items, inside
  // the same outer loops.
  void check_loop(const Task& t, const std::string& where) {
    if (!t.for_each) {
      d_->error(t.loc, where + " names loop '" + t.loop + "' but has no for_each");
      return;
    }
    for (const auto& o : s_.tasks) {
      if (&o == &t) break;  // compare with the first task of the loop only, once
      if (o.loop != t.loop || !o.for_each) continue;
      const Binding& a = *o.for_each;
      const Binding& b = *t.for_each;
      bool same = a.is_template == b.is_template &&
                  (a.is_template ? a.text == b.text : a.literal == b.literal);
      if (same && o.parallelism != t.parallelism)
        d_->error(t.loc, where + " is in loop '" + t.loop + "' with task '" + o.name +
                             "' but sets another parallelism; a loop's parallelism counts its "
                             "iterations, so its tasks share it");
      size_t depth = loop_chain(o).size();
      if (same && (loop_chain(t).size() != depth || common_loop_depth(o, t) != depth))
        d_->error(t.loc, where + " is in loop '" + t.loop + "' with task '" + o.name +
                             "' but not inside the same outer loops");
      if (!same)
        d_->error(t.for_each_loc,
                  where + " is in loop '" + t.loop + "' with task '" + o.name +
                      "' but iterates over other items; tasks of one loop share their for_each");
      return;
    }
  }

  void check_binding(const Task& t, const Binding& b, const IoDecl* in, const std::string& where) {
    if (!b.is_template) {
      if (!in) return;
      if (in->type.is_artifact) {
        if (!b.literal.is_string())
          d_->error(b.loc, where + " is a " + in->type.to_string() +
                               " artifact: give a file path or an upstream output");
        return;
      }
      auto c = coerce_param(b.literal, in->type.param);
      if (!c.ok()) d_->error(b.loc, where + ": " + c.status().message());
      return;
    }
    if (b.tmpl.is_single_ref()) {
      auto type = check_binding_ref(t, b.tmpl.parts[0].ref, b.loc, t.is_finally);
      if (!in || !type) return;
      if (b.tmpl.parts[0].ref.scope == Ref::Scope::kParam && in->type.is_artifact &&
          type->param == ParamType::kString)
        return;  // a path given as a pipeline parameter imports a file as an artifact
      if (!assignable(*type, in->type))
        d_->error(b.loc, where + " is a " + in->type.to_string() + ", but {{" +
                             b.tmpl.parts[0].ref.text + "}} is a " + type->to_string());
      return;
    }
    for (const auto& part : b.tmpl.parts) {
      if (!part.is_ref) continue;
      auto type = check_binding_ref(t, part.ref, b.loc, t.is_finally);
      if (type && type->is_artifact)
        d_->error(b.loc, where + ": artifact {{" + part.ref.text +
                             "}} cannot be embedded in text; bind it to an artifact input alone");
    }
    if (in && in->type.is_artifact) return;  // text naming a path: imported as a file
  }

  void check_cycles() {
    std::map<std::string, std::vector<std::string>> edges;
    for (const auto& t : s_.tasks) {
      for (const auto& dep : task_dependencies(t))
        if (s_.task(dep)) edges[t.name].push_back(dep);
    }
    std::map<std::string, int> color;  // 0 white, 1 on stack, 2 done
    std::vector<std::string> stack;
    std::function<bool(const std::string&)> dfs = [&](const std::string& n) -> bool {
      color[n] = 1;
      stack.push_back(n);
      for (const auto& m : edges[n]) {
        if (color[m] == 1) {
          auto it = std::find(stack.begin(), stack.end(), m);
          std::vector<std::string> cycle(it, stack.end());
          cycle.push_back(m);
          std::reverse(cycle.begin(), cycle.end());  // print in execution order
          d_->error(s_.task(m)->loc,
                    "dependency cycle: " + join(cycle, " -> ") + "; a pipeline must be acyclic");
          return true;
        }
        if (color[m] == 0 && dfs(m)) return true;
      }
      stack.pop_back();
      color[n] = 2;
      return false;
    };
    for (const auto& t : s_.tasks)
      if (color[t.name] == 0 && dfs(t.name)) return;
  }

  const PipelineSpec& s_;
  Diagnostics* d_;
};

void add_refs(const Template& t, std::vector<std::string>* out) {
  for (const auto& p : t.parts) {
    if (p.is_ref &&
        (p.ref.scope == Ref::Scope::kTaskOutput || p.ref.scope == Ref::Scope::kTaskStatus))
      out->push_back(p.ref.task);
    for (const auto& alt : p.ref.alternatives) out->push_back(alt.task);
  }
}

}  // namespace

std::vector<std::string> task_dependencies(const Task& task) {
  std::vector<std::string> deps;
  for (const auto& [_, b] : task.inputs)
    if (b.is_template) add_refs(b.tmpl, &deps);
  for (const auto& level : loop_chain(task))
    if (level.items.is_template) add_refs(level.items.tmpl, &deps);
  if (task.when)
    for (const auto& r : task.when->refs())
      if (r.scope == Ref::Scope::kTaskOutput || r.scope == Ref::Scope::kTaskStatus)
        deps.push_back(r.task);
  for (const auto& [_, b] : task.resource_inputs)
    if (b.is_template) add_refs(b.tmpl, &deps);
  // kfp-kubernetes settings name objects by upstream outputs too (a claim CreatePVC made).
  std::function<void(const Json&)> scan = [&](const Json& j) {
    if (j.is_string() && j.get<std::string>().find("{{") != std::string::npos) {
      if (auto t = parse_template(j.get<std::string>()); t.ok()) add_refs(*t, &deps);
    } else if (j.is_object() || j.is_array()) {
      for (const auto& e : j) scan(e);
    }
  };
  scan(task.kubernetes);
  for (const auto& a : task.after) deps.push_back(a);
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
  return deps;
}

std::vector<std::vector<std::string>> oneof_groups(const Task& task) {
  std::vector<std::vector<std::string>> out;
  for (const auto& [_, b] : task.inputs)
    if (b.is_template)
      for (const auto& p : b.tmpl.parts)
        if (p.is_ref && !p.ref.alternatives.empty()) {
          std::vector<std::string> g;
          for (const auto& alt : p.ref.alternatives) g.push_back(alt.task);
          out.push_back(g);
        }
  return out;
}

void validate_pipeline(const PipelineSpec& spec, Diagnostics* diags) {
  Validator(spec, diags).run();
}

Result<std::map<std::string, Json>> resolve_params(
    const PipelineSpec& spec, const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, Json> values;
  std::vector<std::string> errors;
  for (const auto& [name, text] : overrides) {
    const IoDecl* p = spec.param(name);
    if (!p) {
      std::vector<std::string> names;
      for (const auto& q : spec.params) names.push_back(q.name);
      errors.push_back("-p " + name + ": the pipeline has no parameter '" + name + "'" +
                       did_you_mean(name, names));
      continue;
    }
    auto v = coerce_param(Json(text), p->type.param);
    if (!v.ok())
      errors.push_back("-p " + name + "=" + text + ": " + v.status().message());
    else
      values[name] = *v;
  }
  for (const auto& p : spec.params) {
    if (values.count(p.name)) continue;
    if (p.default_value) {
      auto v = p.default_value->is_null() ? Result<Json>(Json(nullptr))
                                          : coerce_param(*p.default_value, p.type.param);
      if (v.ok()) values[p.name] = *v;
    } else if (p.optional) {
      values[p.name] = nullptr;
    } else {
      errors.push_back("missing required parameter '" + p.name + "' (" + p.type.to_string() +
                       "): pass -p " + p.name + "=VALUE");
    }
  }
  if (!errors.empty()) return InvalidInput(join(errors, "\n"));
  return values;
}

}  // namespace slipway::spec
