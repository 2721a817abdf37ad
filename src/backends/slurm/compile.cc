#include "backends/slurm/compile.h"

#include <filesystem>
#include <functional>
#include <set>

#include "backends/slurm/sbatch_script.h"
#include "core/strings.h"
#include "dag/resolve.h"
#include "spec/validate.h"

namespace slipway {

namespace fs = std::filesystem;

namespace {

// A bash variable for a task's job id.
std::string job_var(const std::string& task) {
  std::string v = "job_";
  for (char c : task) v += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return v;
}

// Inside a single-quoted shell word, a deferred marker becomes "$(cat 'FILE')".
std::string expand_deferred(const std::string& script) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t a = script.find(kDeferredMark, pos);
    if (a == std::string::npos) break;
    size_t b = script.find(kDeferredMark, a + 1);
    if (b == std::string::npos) break;
    std::string path = script.substr(a + 1 + 5, b - a - 1 - 5);  // after "file:"
    out += script.substr(pos, a - pos) + "'\"$(cat " + shell_quote(path) + ")\"'";
    pos = b + 1;
  }
  return out + script.substr(pos);
}

Status unsupported(const Task& t, const std::string& what) {
  return InvalidInput(t.loc.to_string() + ": task '" + t.name + "' " + what +
                      ", which needs the slipway driver; run it with `slipway run --backend slurm` instead");
}

}  // namespace

Result<CompiledPipeline> compile_for_slurm(const PipelineSpec& spec, const std::map<std::string, Json>& params,
                                           const std::string& run_root, const std::string& self_exe,
                                           const SlurmConfig& config) {
  CompiledPipeline out;
  // Order: dependencies first (the spec is acyclic, validation checked).
  std::vector<const Task*> order;
  std::set<std::string> placed;
  std::function<void(const Task&)> place = [&](const Task& t) {
    if (placed.count(t.name)) return;
    placed.insert(t.name);
    for (const auto& d : task_dependencies(t)) place(*spec.task(d));
    order.push_back(&t);
  };
  for (const auto& t : spec.tasks)
    if (!t.is_finally) place(t);
  for (const auto& t : spec.tasks)
    if (t.is_finally) place(t);

  std::string submit = "#!/bin/bash\n# Submits pipeline '" + spec.name + "' with plain sbatch, each job after those it needs.\n"
                       "# Written by `slipway compile --backend slurm`. Outputs and logs go under:\n#   " + run_root +
                       "\nset -euo pipefail\ncd \"$(dirname \"$0\")\"\n";
  std::vector<std::string> main_jobs;
  for (const Task* t : order) {
    const Component* comp = spec.component_of(*t);
    if (t->when) return unsupported(*t, "has a `when` condition");
    for (const auto& [_, b] : t->inputs)
      if (b.is_template)
        for (const auto& part : b.tmpl.parts)
          if (part.is_ref && (part.ref.scope == Ref::Scope::kTaskStatus ||
                              (part.ref.scope == Ref::Scope::kRun && part.ref.name == "status")))
            return unsupported(*t, "reads {{" + part.ref.text + "}}");
    if (t->retry.limit > 0)
      out.warnings.push_back("task '" + t->name + "': retries are not available in compiled mode");

    ResolveContext ctx;
    ctx.spec = &spec;
    ctx.params = &params;
    ctx.run_id = "compiled-" + spec.name;
    ctx.run_root = run_root;
    ctx.run_status = "";
    ctx.task_output = [&](const std::string& task, const std::string& name) -> Result<Json> {
      const Task* up = spec.task(task);
      const Component* uc = spec.component_of(*up);
      const IoDecl* o = uc->output(name);
      if (up->for_each && !o->type.is_artifact)
        return InvalidInput("collecting parameter '" + name + "' of fan-out '" + task + "'");
      if (up->for_each) {
        // Static fan-outs have known items, so the list of their artifacts is known too.
        auto items = resolve_for_each(ctx, *up);
        if (!items.ok()) return items.status();
        Json list = Json::array();
        for (size_t i = 0; i < items->size(); ++i)
          list.push_back({{"artifact", true}, {"id", 0}, {"type", o->type.artifact}, {"sha256", ""},
                          {"uri", run_root + "/tasks/" + task + "." + std::to_string(i) + "/outputs/" + name}});
        return list;
      }
      std::string path = run_root + "/tasks/" + task + "/outputs/" + name;
      if (o->type.is_artifact)
        return Json{{"artifact", true}, {"id", 0}, {"type", o->type.artifact}, {"uri", path}, {"sha256", ""}};
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
      if (t->for_each->is_template && t->for_each->tmpl.parts[0].ref.scope != Ref::Scope::kParam)
        return unsupported(*t, "fans out over an upstream output");
      auto list = resolve_for_each(ctx, *t);
      if (!list.ok()) return list.status();
      for (size_t i = 0; i < list->size(); ++i) items.push_back({static_cast<int>(i), (*list)[i]});
      if (items.empty()) return unsupported(*t, "fans out over an empty list");
    } else {
      items.push_back({-1, Json()});
    }

    std::vector<TaskLaunch> launches;
    for (const auto& [index, item] : items) {
      std::string name = index < 0 ? t->name : t->name + "[" + std::to_string(index) + "]";
      std::string dir = run_root + "/tasks/" + (index < 0 ? t->name : t->name + "." + std::to_string(index));
      ctx.item = index < 0 ? nullptr : &item;
      ctx.item_index = index;
      ctx.task_name = name;
      ctx.attempt = 1;
      auto inputs = resolve_inputs(ctx, *t, *comp);
      if (!inputs.ok()) {
        if (inputs.status().message().find("collecting parameter") != std::string::npos)
          return unsupported(*t, "collects parameter outputs of a fan-out");
        return InvalidInput("task '" + t->name + "': " + inputs.status().message());
      }
      auto cl = render_command(ctx, *comp, *inputs, dir + "/outputs", self_exe);
      if (!cl.ok()) return cl.status();
      wrap_multi_rank(t->resources, self_exe, &cl->argv);
      TaskLaunch l;
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
      if (index >= 0) {
        l.group = t->name;
        l.item_index = index;
        l.parallelism = t->parallelism;
      }
      submit += "mkdir -p " + shell_quote(dir + "/outputs") + "\n";
      launches.push_back(std::move(l));
    }
    std::string script = launches.size() > 1 || t->for_each ? render_sbatch_array_script(launches, config)
                                                              : render_sbatch_script(launches[0], config);
    out.files[t->name + ".sbatch"] = expand_deferred(script);

    std::vector<std::string> after;
    if (t->is_finally) {
      for (const auto& j : main_jobs) after.push_back("$" + j);
    } else {
      for (const auto& d : task_dependencies(*t)) after.push_back("$" + job_var(d));
    }
    std::string dep;
    if (!after.empty())
      dep = std::string(" --kill-on-invalid-dep=yes --dependency=") + (t->is_finally ? "afterany:" : "afterok:") +
            join(after, ":");
    submit += job_var(t->name) + "=$(sbatch --parsable" + dep + " " + t->name + ".sbatch)\n";
    submit += "echo \"" + t->name + ": job $" + job_var(t->name) + "\"\n";
    if (!t->is_finally) main_jobs.push_back(job_var(t->name));
  }
  out.files["submit.sh"] = submit;
  return out;
}

}  // namespace slipway
