#include "compile/slurm_compile.h"

#include "backends/slurm/sbatch_script.h"
#include "core/strings.h"
#include "dag/static_plan.h"

namespace slipway::compile {

namespace {

// A bash variable for a task's job id.
std::string job_var(const std::string& task) {
  std::string v = "job_";
  for (char c : task) v += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return v;
}

// Inside a single-quoted shell word, a deferred marker becomes "$(cat 'FILE')".
std::string expand_deferred(const std::string& script) {
  return dag::replace_deferred(
      script, [](const std::string& path) { return "'\"$(cat " + shell_quote(path) + ")\"'"; });
}

}  // namespace

Result<dag::CompiledPipeline> compile_for_slurm(const spec::PipelineSpec& spec,
                                                const std::map<std::string, Json>& params,
                                                const std::string& run_root,
                                                const std::string& self_exe,
                                                const backends::SlurmConfig& config) {
  auto plan = dag::plan_static_launches(spec, params, run_root, self_exe, "slurm");
  if (!plan.ok()) return plan.status();
  dag::CompiledPipeline out;
  out.warnings = plan->warnings;
  std::string submit =
      "#!/bin/bash\n# Submits pipeline '" + spec.name +
      "' with plain sbatch, each job after those it needs.\n"
      "# Written by `slipway compile --backend slurm`. Outputs and logs go under:\n#   " +
      run_root + "\nset -euo pipefail\ncd \"$(dirname \"$0\")\"\n";
  for (const auto& st : plan->tasks) {
    const spec::Task* t = st.task;
    for (const auto& l : st.launches)
      submit += "mkdir -p " + shell_quote(l.workdir + "/outputs") + "\n";
    std::string script = st.launches.size() > 1 || t->for_each
                             ? backends::render_sbatch_array_script(st.launches, config)
                             : backends::render_sbatch_script(st.launches[0], config);
    out.files[t->name + ".sbatch"] = expand_deferred(script);
    std::vector<std::string> after;
    for (const auto& d : st.after) after.push_back("$" + job_var(d));
    std::string dep;
    if (!after.empty())
      dep = std::string(" --kill-on-invalid-dep=yes --dependency=") +
            (t->is_finally ? "afterany:" : "afterok:") + join(after, ":");
    submit += job_var(t->name) + "=$(sbatch --parsable" + dep + " " + t->name + ".sbatch)\n";
    submit += "echo \"" + t->name + ": job $" + job_var(t->name) + "\"\n";
  }
  out.files["submit.sh"] = submit;
  return out;
}

}  // namespace slipway::compile
