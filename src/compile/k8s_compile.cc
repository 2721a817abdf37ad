#include "compile/k8s_compile.h"

#include "backends/k8s/manifests.h"
#include "core/strings.h"
#include "core/yaml_json.h"
#include "dag/resolve.h"

namespace slipway::compile {

namespace {

// An argv with values known only at start becomes one shell command that reads them.
std::vector<std::string> reading_deferred(const std::vector<std::string>& argv) {
  bool deferred = false;
  for (const auto& a : argv) deferred = deferred || a.find(dag::kDeferredMark) != std::string::npos;
  if (!deferred) return argv;
  std::string cmd = "exec";
  for (const auto& a : argv) cmd += " " + shell_quote(a);
  cmd = dag::replace_deferred(
      cmd, [](const std::string& path) { return "'\"$(cat " + shell_quote(path) + ")\"'"; });
  return {"/bin/sh", "-c", cmd};
}

std::string exit_file(const backends::TaskLaunch& l) { return l.workdir + "/attempt-1.exit"; }

}  // namespace

Result<dag::CompiledPipeline> compile_for_k8s(const spec::PipelineSpec& spec,
                                              const std::map<std::string, Json>& params,
                                              const std::string& run_root,
                                              const std::string& self_exe,
                                              backends::K8sConfig config) {
  // Commands name slipway as the image has it.
  const std::string in_image = config.slipway_path.empty() ? self_exe : config.slipway_path;
  auto plan = dag::plan_static_launches(spec, params, run_root, in_image, "k8s");
  if (!plan.ok()) return plan.status();
  if (config.mount_path.empty()) config.mount_path = run_root;
  dag::CompiledPipeline out;
  out.warnings = plan->warnings;
  std::map<std::string, std::vector<std::string>> exits_of;  // task -> its attempts' exit files
  std::string kustomization =
      "# Written by `slipway compile --backend k8s` for pipeline '" + spec.name +
      "'.\n"
      "# Outputs and logs go under " +
      run_root +
      " on the run root's volume.\n"
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n";
  for (const auto& st : plan->tasks) {
    const spec::Task* t = st.task;
    if (t->parallelism > 0)
      out.warnings.push_back(
          "task '" + t->name + "': all " + std::to_string(st.launches.size()) +
          " items start at once (parallelism is not available in compiled mode)");
    backends::DriverlessExtras x;
    x.await_any_outcome = t->is_finally;
    for (const auto& up : st.after)
      for (const auto& f : exits_of[up]) x.await_exit_files.push_back(f);
    std::string docs;
    for (backends::TaskLaunch l : st.launches) {
      l.argv = reading_deferred(l.argv);
      x.exit_file = exit_file(l);
      x.mkdirs = {l.workdir + "/outputs"};
      exits_of[t->name].push_back(x.exit_file);
      auto obj = backends::render_task_object(l, config, in_image, x);
      if (!obj.ok()) return obj.status();
      docs += (docs.empty() ? "" : "---\n") + json_to_yaml(*obj);
    }
    std::string file = t->name + ".yaml";
    out.files[file] = "# Task '" + t->name + "' of pipeline '" + spec.name + "'\n" + docs;
    kustomization += "- " + file + "\n";
  }
  out.files["kustomization.yaml"] = kustomization;
  return out;
}

}  // namespace slipway::compile
