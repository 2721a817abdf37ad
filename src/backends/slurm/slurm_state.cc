#include "backends/slurm/slurm_state.h"

#include <cstdlib>

#include "core/clock.h"
#include "core/strings.h"

namespace slipway::backends {

std::map<std::string, SlurmJobState> parse_squeue(const std::string& out) {
  std::map<std::string, SlurmJobState> jobs;
  for (const auto& line : split(out, '\n')) {
    auto f = split(trim(line), '|');
    if (f.size() < 2 || f[0].empty()) continue;
    SlurmJobState j;
    j.id = f[0];
    j.state = f[1];
    if (f.size() > 2) j.reason = f[2];
    if (f.size() > 3) j.name = f[3];
    if (auto u = j.id.find('_'); u != std::string::npos)
      j.array_index = std::atoi(j.id.c_str() + u + 1);
    jobs[j.id] = j;
  }
  return jobs;
}

std::map<std::string, SlurmJobState> parse_scontrol_jobs(const std::string& out) {
  std::map<std::string, SlurmJobState> jobs;
  for (const auto& line : split(out, '\n')) {
    if (line.find("JobId=") == std::string::npos) continue;
    SlurmJobState j;
    // Fields are space separated Key=Value; values (Reason, Comment) may hold spaces, so a
    // token without '=' belongs to the value before it.
    std::string key;
    std::map<std::string, std::string> kv;
    for (const auto& tok : split(line, ' ')) {
      if (tok.empty()) continue;
      auto eq = tok.find('=');
      if (eq != std::string::npos && eq > 0 && std::isupper(static_cast<unsigned char>(tok[0]))) {
        key = tok.substr(0, eq);
        kv[key] = tok.substr(eq + 1);
      } else if (!key.empty()) {
        kv[key] += " " + tok;
      }
    }
    j.id = kv["JobId"];
    j.name = kv["JobName"];
    j.state = kv["JobState"];
    j.reason = kv["Reason"];
    j.nodes = kv["NodeList"];
    auto ec = split(kv["ExitCode"], ':');
    if (ec.size() == 2) {
      j.exit_code = std::atoi(ec[0].c_str());
      j.signal = std::atoi(ec[1].c_str());
    }
    std::string tasks = kv.count("ArrayTaskId") ? kv["ArrayTaskId"] : "";
    if (!kv.count("ArrayJobId") || tasks.empty() || tasks == "N/A") {
      jobs[j.id] = j;
      continue;
    }
    // Array elements: "4", or pending ones as "5-9,12%2".
    tasks = tasks.substr(0, tasks.find('%'));
    for (const auto& part : split(tasks, ',')) {
      auto dash = part.find('-');
      int lo = std::atoi(part.c_str());
      int hi = dash == std::string::npos ? lo : std::atoi(part.c_str() + dash + 1);
      for (int i = lo; i <= hi && i - lo < 100000; ++i) {
        SlurmJobState e = j;
        e.array_index = i;
        e.id = kv["ArrayJobId"] + "_" + std::to_string(i);
        jobs[e.id] = e;
      }
    }
  }
  return jobs;
}

bool slurm_state_is_terminal(const std::string& s) {
  return s == "COMPLETED" || s == "FAILED" || s == "CANCELLED" || s == "TIMEOUT" ||
         s == "OUT_OF_MEMORY" || s == "NODE_FAIL" || s == "PREEMPTED" || s == "BOOT_FAIL" ||
         s == "DEADLINE" || s == "SPECIAL_EXIT" || s == "REVOKED";
}

Completion completion_from_slurm(const std::string& key, const SlurmJobState& j) {
  Completion c;
  c.key = key;
  c.finished_ms = now_ms();
  c.exit_code = j.exit_code;
  c.signal = j.signal;
  const std::string where =
      "Slurm job " + j.id + (j.nodes.empty() || j.nodes == "(null)" ? "" : " on " + j.nodes);
  if (j.state == "COMPLETED" && j.exit_code == 0) {
    c.exit_code = 0;
    return c;
  }
  if (c.exit_code == 0) c.exit_code = -1;  // a job that did not complete did not succeed
  if (j.state == "FAILED") {
    c.message = where + " FAILED: exited with code " + std::to_string(j.exit_code) +
                (j.signal ? ", signal " + std::to_string(j.signal) : "");
  } else if (j.state == "CANCELLED") {
    c.terminated = true;
    c.message = where + " CANCELLED";
  } else if (j.state == "TIMEOUT") {
    c.timed_out = true;
    c.message = where + " reached its time limit (TIMEOUT)";
  } else if (j.state == "OUT_OF_MEMORY") {
    c.message = where + " ran out of memory (OUT_OF_MEMORY); raise resources.memory";
  } else if (j.state == "NODE_FAIL" || j.state == "PREEMPTED" || j.state == "BOOT_FAIL") {
    c.infrastructure = true;
    c.message = where + " " + j.state + " (not the task's fault; it runs again)";
  } else if (j.state == "DEADLINE") {
    c.message = where + " missed its deadline (DEADLINE)";
  } else {
    c.message = where + " ended " + j.state +
                (j.reason.empty() || j.reason == "None" ? "" : " (" + j.reason + ")");
  }
  return c;
}

}  // namespace slipway::backends
