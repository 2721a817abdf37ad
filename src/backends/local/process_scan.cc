#include "backends/local/process_scan.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

namespace slipway::backends {

std::vector<pid_t> find_run_processes(const std::string& run_id) {
  std::vector<pid_t> out;
  const std::string marker = "SLIPWAY_RUN_ID=" + run_id;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == getpid()) continue;
    std::ifstream in(e.path() / "environ", std::ios::binary);
    if (!in) continue;
    std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t pos = 0;
    while (pos < env.size()) {
      size_t end = env.find('\0', pos);
      if (end == std::string::npos) end = env.size();
      if (env.compare(pos, end - pos, marker) == 0) {
        out.push_back(pid);
        break;
      }
      pos = end + 1;
    }
  }
  return out;
}

int stop_processes(const std::vector<pid_t>& pids, int grace_ms) {
  std::set<pid_t> groups;
  for (pid_t p : pids) {
    pid_t g = getpgid(p);
    if (g > 0 && g != getpgrp()) groups.insert(g);
    ::kill(p, SIGTERM);
  }
  for (pid_t g : groups) ::kill(-g, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    for (pid_t p : pids) any = any || ::kill(p, 0) == 0;
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (pid_t g : groups) ::kill(-g, SIGKILL);
  for (pid_t p : pids) ::kill(p, SIGKILL);
  return static_cast<int>(pids.size());
}

}  // namespace slipway::backends
