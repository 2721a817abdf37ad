#include "dag/static_plan.h"

#include <filesystem>
#include <functional>
#include <set>

#include "dag/resolve.h"
#include "spec/validate.h"

namespace slipway::dag {

namespace fs = std::filesystem;

namespace {

Status unsupported(const spec::Task& t, const std::string& what, const std::string& backend) {
  return InvalidInput(t.loc.to_string() + ": task '" + t.name + "' " + what +
                      ", which needs the slipway driver; run it with `slipway run --backend " +
                      backend + "` instead");
}

}  // namespace

std::string replace_deferred(const std::string& s,
                             const std::function<std::string(const std::string&)>& reader) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t a = s.find(kDeferredMark, pos);
    if (a == std::string::npos) break;
    size_t b = s.find(kDeferredMark, a + 1);
    if (b == std::string::npos) break;
    out += s.substr(pos, a - pos) + reader(s.substr(a + 1 + 5, b - a - 1 - 5));  // after "file:"
    pos = b + 1;
  }
  return out + s.substr(pos);
}

Result<StaticPlan> plan_static_launches(const spec::PipelineSpec& spec,
                                        const std::map<std::string, Json>& params,
                                        const std::string& run_root, const std::string& self_exe,
                                        const std::string& backend) {
  StaticPlan out;
  // Order: dependencies first (the spec is acyclic, validation checked).
  std::vector<const spec::Task*> order;
  std::set<std::string> placed;
  std::function<void(const spec::Task&)> place = [&](const spec::Task& t) {
    if (placed.count(t.name)) return;
    placed.insert(t.name);
    for (const auto& d : spec::task_dependencies(t)) place(*spec.task(d));
    order.push_back(&t);
  };
  for (const auto& t : spec.tasks)
    if (!t.is_finally) place(t);
  for (const auto& t : spec.tasks)
    if (t.is_finally) place(t);

  std::vector<std::string> main_tasks;
  for (const spec::Task* t : order) {
    const spec::Component* comp = spec.component_of(*t);
    if (t->when) return unsupported(*t, "has a `when` condition", backend);
    if (!t->outer_loops.empty()) return unsupported(*t, "is in nested loops", backend);
    for (const auto& [_, b] : t->inputs)
      if (b.is_template)
        for (const auto& part : b.tmpl.parts)
          if (part.is_ref &&
              (part.ref.scope == spec::Ref::Scope::kTaskStatus ||
               (part.ref.scope == spec::Ref::Scope::kRun && part.ref.name == "status")))
            return unsupported(*t, "reads {{" + part.ref.text + "}}", backend);
    if (t->retry.limit > 0)
      out.warnings.push_back("task '" + t->name + "': retries are not available in compiled mode");

    ResolveContext ctx;
    ctx.spec = &spec;
    ctx.params = &params;
    ctx.run_id = "compiled-" + spec.name;
    ctx.run_root = run_root;
    ctx.run_status = "";
    ctx.task_output = [&](const std::string& task, const std::string& name) -> Result<Json> {
      const spec::Task* up = spec.task(task);
      const spec::Component* uc = spec.component_of(*up);
      const spec::IoDecl* o = uc->output(name);
      if (up->for_each && !o->type.is_artifact)
        return InvalidInput("collecting parameter '" + name + "' of fan-out '" + task + "'");
      if (up->for_each) {
        // Static fan-outs have known items, so the list of their artifacts is known too.
        auto items = resolve_for_each(ctx, *up);
        if (!items.ok()) return items.status();
        Json list = Json::array();
        for (size_t i = 0; i < items->size(); ++i)
          list.push_back({{"artifact", true},
                          {"id", 0},
                          {"type", o->type.artifact},
                          {"sha256", ""},
                          {"uri", run_root + "/tasks/" + task + "." + std::to_string(i) +
                                      "/outputs/" + name}});
        return list;
      }
      std::string path = run_root + "/tasks/" + task + "/outputs/" + name;
      if (o->type.is_artifact)
        return Json{{"artifact", true},
                    {"id", 0},
                    {"type", o->type.artifact},
                    {"uri", path},
                    {"sha256", ""}};
      return deferred_file_value(path);
    };
    ctx.task_status = [](const std::string&) { return std::string(); };
    ctx.import_artifact = [](const std::string& path, const std::string& type) -> Result<Json> {
      if (!fs::exists(path)) return NotFound("no such file or directory");
      return Json{{"artifact", true}, {"id", 0}, {"type", type}, {"uri", path}, {"sha256", ""}};
    };

    // Fan-out items: static lists only (a parameter or a literal).
    std::vector<std::pair<int, Json>> items;
    if (t->for_each) {
      if (t->for_each->is_template &&
          t->for_each->tmpl.parts[0].ref.scope != spec::Ref::Scope::kParam)
        return unsupported(*t, "fans out over an upstream output", backend);
      auto list = resolve_for_each(ctx, *t);
      if (!list.ok()) return list.status();
      for (size_t i = 0; i < list->size(); ++i) items.push_back({static_cast<int>(i), (*list)[i]});
      if (items.empty()) return unsupported(*t, "fans out over an empty list", backend);
    } else {
      items.push_back({-1, Json()});
    }

    StaticTask st;
    st.task = t;
    for (const auto& [index, item] : items) {
      std::string name = index < 0 ? t->name : t->name + "[" + std::to_string(index) + "]";
      std::string dir =
          run_root + "/tasks/" + (index < 0 ? t->name : t->name + "." + std::to_string(index));
      ctx.item = index < 0 ? nullptr : &item;
      ctx.item_index = index;
      ctx.task_name = name;
      ctx.attempt = 1;
      auto inputs = resolve_inputs(ctx, *t, *comp);
      if (!inputs.ok()) {
        if (inputs.status().message().find("collecting parameter") != std::string::npos)
          return unsupported(*t, "collects parameter outputs of a fan-out", backend);
        return InvalidInput("task '" + t->name + "': " + inputs.status().message());
      }
      auto cl = render_command(ctx, *comp, *inputs, dir + "/outputs", self_exe);
      if (!cl.ok()) return cl.status();
      wrap_multi_rank(t->resources, self_exe, &cl->argv);
      backends::TaskLaunch l;
      l.key = name + "#1";
      l.run_id = ctx.run_id;
      l.task = name;
      l.attempt = 1;
      l.argv = cl->argv;
      l.env = cl->env;
      l.env["SLIPWAY_TASK"] = name;
      l.workdir = dir;
      l.stdout_path = dir + "/attempt-1.out";
      l.stderr_path = dir + "/attempt-1.err";
      l.resources = t->resources;
      l.timeout_ms = t->timeout_ms;
      l.image = comp->image;
      l.notes = comp->notes;
      if (index >= 0) {
        l.group = t->name;
        l.item_index = index;
        l.parallelism = t->parallelism;
      }
      st.launches.push_back(std::move(l));
    }
    st.after = t->is_finally ? main_tasks : spec::task_dependencies(*t);
    if (!t->is_finally) main_tasks.push_back(t->name);
    out.tasks.push_back(std::move(st));
  }
  return out;
}

}  // namespace slipway::dag
