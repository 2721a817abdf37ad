#include "backends/slurm/sbatch_script.h"

#include <algorithm>
#include <cstdio>

namespace slipway {

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

std::string slurm_time(std::int64_t ms) {
  std::int64_t s = (ms + 999) / 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld-%02lld:%02lld:%02lld", static_cast<long long>(s / 86400),
                static_cast<long long>((s / 3600) % 24), static_cast<long long>((s / 60) % 60),
                static_cast<long long>(s % 60));
  return buf;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string render_sbatch_script(const TaskLaunch& l, const SlurmConfig& c) {
  const Resources& r = l.resources;
  std::string s = "#!/bin/bash\n";
  auto opt = [&](const std::string& o) { s += "#SBATCH " + o + "\n"; };
  opt("--job-name=" + slurm_job_name(l));
  opt("--comment=slipway,run=" + l.run_id + ",task=" + l.task + ",attempt=" + std::to_string(l.attempt));
  opt("--output=" + l.stdout_path);
  opt("--error=" + l.stderr_path);
  if (!l.workdir.empty()) opt("--chdir=" + l.workdir);
  opt("--nodes=" + std::to_string(r.nodes));
  opt("--ntasks-per-node=" + std::to_string(r.tasks_per_node));
  opt("--cpus-per-task=" + std::to_string(std::max<std::int64_t>(1, (r.millicpus + 999) / 1000)));
  if (r.memory_bytes > 0) {
    std::int64_t mib = (r.memory_bytes * r.tasks_per_node + (1 << 20) - 1) >> 20;
    opt("--mem=" + std::to_string(mib) + "M");
  }
  if (r.gpus > 0) opt("--gpus-per-task=" + std::to_string(r.gpus));
  if (r.time_limit_ms > 0) opt("--time=" + slurm_time(r.time_limit_ms));
  auto pick = [](const std::string& task, const std::string& conf) { return task.empty() ? conf : task; };
  if (auto p = pick(r.partition, c.partition); !p.empty()) opt("--partition=" + p);
  if (auto a = pick(r.account, c.account); !a.empty()) opt("--account=" + a);
  if (auto q = pick(r.qos, c.qos); !q.empty()) opt("--qos=" + q);
  if (auto k = pick(r.constraint, c.constraint); !k.empty()) opt("--constraint=" + k);
  opt("--no-requeue");  // slipway owns retries
  for (const auto& a : c.sbatch_args) opt(a);
  s += "\n";
  for (const auto& [k, v] : l.env) s += "export " + k + "=" + shell_quote(v) + "\n";
  std::string cmd;
  for (const auto& a : l.argv) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
  int ranks = r.nodes * r.tasks_per_node;
  if (ranks > 1) s += "exec srun --mpi=" + c.mpi + " " + cmd + "\n";
  else s += "exec " + cmd + "\n";
  return s;
}

}  // namespace slipway
