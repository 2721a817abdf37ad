#include "backends/slurm/sbatch_script.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "core/strings.h"

namespace slipway::backends {

// Job names carry the run and the attempt key, so a new driver finds a run's jobs with one squeue
// by name and knows which attempt each one is, with nothing kept outside Slurm.
std::string slurm_job_name_prefix(const std::string& run_id) { return "sw:" + run_id + ":"; }

// sbatch reads '#' in a directive as the start of a comment, so the key's '#' becomes ':'.
std::string slurm_job_name(const TaskLaunch& l) {
  std::string key = l.key;
  std::replace(key.begin(), key.end(), '#', ':');
  return slurm_job_name_prefix(l.run_id) + key;
}

std::string launch_key_from_job_name(const std::string& run_id, const std::string& job_name) {
  std::string prefix = slurm_job_name_prefix(run_id);
  if (job_name.compare(0, prefix.size(), prefix) != 0) return "";
  std::string key = job_name.substr(prefix.size());
  auto colon = key.rfind(':');
  if (colon == std::string::npos) return "";
  key[colon] = '#';
  return key;
}

// Slurm's days-hours:minutes:seconds, rounded up: a limit is never shorter than asked.
std::string slurm_time(std::int64_t ms) {
  std::int64_t s = (ms + 999) / 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld-%02lld:%02lld:%02lld", static_cast<long long>(s / 86400),
                static_cast<long long>((s / 3600) % 24), static_cast<long long>((s / 60) % 60),
                static_cast<long long>(s % 60));
  return buf;
}

// The resource and placement directives every job of a task shares.
static void resource_directives(const spec::Resources& r, const SlurmConfig& c, std::string& s) {
  auto opt = [&](const std::string& o) { s += "#SBATCH " + o + "\n"; };
  // A training job's replicas get a node each; its one process (slipway job-gang, on the first)
  // starts them as srun steps.
  if (r.job_min_replicas > 0 && r.job_min_replicas < r.job_replicas)
    opt("--nodes=" + std::to_string(r.job_min_replicas) + "-" + std::to_string(r.job_replicas));
  else
    opt("--nodes=" + std::to_string(r.job_replicas > 0 ? r.job_replicas : r.nodes));
  opt("--ntasks-per-node=" + std::to_string(r.tasks_per_node));
  // Slurm allocates whole CPUs: 500m becomes 1. Memory in pipeline files is per rank, while
  // --mem is per node, hence the multiplication by the ranks on a node.
  opt("--cpus-per-task=" + std::to_string(std::max<std::int64_t>(1, (r.millicpus + 999) / 1000)));
  if (r.memory_bytes > 0) {
    std::int64_t mib = (r.memory_bytes * r.tasks_per_node + (1 << 20) - 1) >> 20;
    opt("--mem=" + std::to_string(mib) + "M");
  }
  if (r.gpus > 0) opt("--gpus-per-task=" + std::to_string(r.gpus));
  if (r.time_limit_ms > 0) opt("--time=" + slurm_time(r.time_limit_ms));
  // The task's own partition, account, qos and constraint win over the site defaults.
  auto pick = [](const std::string& task, const std::string& conf) {
    return task.empty() ? conf : task;
  };
  if (auto p = pick(r.partition, c.partition); !p.empty()) opt("--partition=" + p);
  if (auto a = pick(r.account, c.account); !a.empty()) opt("--account=" + a);
  if (auto q = pick(r.qos, c.qos); !q.empty()) opt("--qos=" + q);
  if (auto k = pick(r.constraint, c.constraint); !k.empty()) opt("--constraint=" + k);
  opt("--no-requeue");  // slipway owns retries
  for (const auto& a : c.sbatch_args) opt(a);
}

// Environment and command of one launch, as shell lines.
static std::string body(const TaskLaunch& l, const SlurmConfig& c, const std::string& indent) {
  std::string s;
  for (const auto& n : l.notes) s += indent + "# " + n + "\n";
  if (!l.notes.empty()) s += "\n";
  for (const auto& [k, v] : l.env) s += indent + "export " + k + "=" + shell_quote(v) + "\n";
  std::string cmd;
  for (const auto& a : l.argv) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
  int ranks = l.resources.nodes * l.resources.tasks_per_node;
  // exec: the job's process is the task itself, so scancel's signal reaches it directly. Several
  // ranks start as an srun step, which gives each its SLURM_PROCID for `slipway launch` to read.
  s += indent + (ranks > 1 ? "exec srun --mpi=" + c.mpi + " " : "exec ") + cmd + "\n";
  return s;
}

std::string render_sbatch_script(const TaskLaunch& l, const SlurmConfig& c) {
  std::string s = "#!/bin/bash\n";
  auto opt = [&](const std::string& o) { s += "#SBATCH " + o + "\n"; };
  opt("--job-name=" + slurm_job_name(l));
  opt("--comment=slipway,run=" + l.run_id + ",task=" + l.task +
      ",attempt=" + std::to_string(l.attempt));
  opt("--output=" + l.stdout_path);
  opt("--error=" + l.stderr_path);
  if (!l.workdir.empty()) opt("--chdir=" + l.workdir);
  resource_directives(l.resources, c, s);
  return s + "\n" + body(l, c, "");
}

std::string slurm_index_ranges(std::vector<int> idx) { return compact_ranges(std::move(idx)); }

// "/root/tasks/fan.7/attempt-1.out" -> "/root/tasks/fan.%a/attempt-1.out" when the item's index
// is where the pattern expects it; "" otherwise.
static std::string element_pattern(const std::string& path, const TaskLaunch& l) {
  std::string seg = "/" + l.group + "." + std::to_string(l.item_index) + "/";
  auto pos = path.find(seg);
  if (pos == std::string::npos) return "";
  return path.substr(0, pos) + "/" + l.group + ".%a/" + path.substr(pos + seg.size());
}

// A fan-out's items as one job array: one sbatch call and one scheduler entry for thousands of
// items, which is what keeps large fan-outs from flooding the controller. "" when the items do not
// share what an array shares (resources, attempt, log path pattern); they are then submitted one
// by one.
std::string render_sbatch_array_script(const std::vector<TaskLaunch>& items, const SlurmConfig& c) {
  if (items.empty()) return "";
  const TaskLaunch& first = items.front();
  std::string out_pattern = element_pattern(first.stdout_path, first);
  std::string err_pattern = element_pattern(first.stderr_path, first);
  if (out_pattern.empty() || err_pattern.empty()) return "";
  std::vector<int> indexes;
  for (const auto& l : items) {
    if (l.group != first.group || l.attempt != first.attempt ||
        element_pattern(l.stdout_path, l) != out_pattern ||
        element_pattern(l.stderr_path, l) != err_pattern)
      return "";
    indexes.push_back(l.item_index);
  }
  std::string s = "#!/bin/bash\n";
  auto opt = [&](const std::string& o) { s += "#SBATCH " + o + "\n"; };
  opt("--job-name=" + slurm_job_name_prefix(first.run_id) + first.group + ":" +
      std::to_string(first.attempt));
  opt("--comment=slipway,run=" + first.run_id + ",task=" + first.group +
      ",attempt=" + std::to_string(first.attempt));
  opt("--array=" + slurm_index_ranges(indexes) +
      (first.parallelism > 0 ? "%" + std::to_string(first.parallelism) : ""));
  opt("--output=" + out_pattern);
  opt("--error=" + err_pattern);
  resource_directives(first.resources, c, s);
  // Each element runs its own item's command and environment: the items' arguments differ.
  s += "\ncase \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (const auto& l : items) {
    s += "  " + std::to_string(l.item_index) + ")\n";
    if (!l.workdir.empty()) s += "    cd " + shell_quote(l.workdir) + " || exit 1\n";
    s += body(l, c, "    ");
    s += "    ;;\n";
  }
  s += "esac\necho \"slipway: no item $SLURM_ARRAY_TASK_ID in this array\" >&2\nexit 1\n";
  return s;
}

std::string launch_key_for_element(const std::string& run_id, const std::string& job_name,
                                   int index) {
  std::string key = launch_key_from_job_name(run_id, job_name);
  if (key.empty() || index < 0) return key;
  auto hash = key.rfind('#');
  return key.substr(0, hash) + "[" + std::to_string(index) + "]" + key.substr(hash);
}

}  // namespace slipway::backends
