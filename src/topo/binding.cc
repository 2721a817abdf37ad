#include "topo/binding.h"

#include <hwloc.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "topo/topology.h"

namespace slipway::topo {

namespace {

// A topology of this machine without I/O devices: enough to bind, quick to load.
struct LiveTopology {
  hwloc_topology_t t = nullptr;
  LiveTopology() {
    if (hwloc_topology_init(&t) != 0)
      t = nullptr;
    else if (hwloc_topology_load(t) != 0) {
      hwloc_topology_destroy(t);
      t = nullptr;
    }
  }
  ~LiveTopology() {
    if (t) hwloc_topology_destroy(t);
  }
};

}  // namespace

std::vector<int> current_affinity() {
  std::vector<int> out;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set)) out.push_back(i);
  return out;
}

std::vector<int> allowed_cpus() {
  LiveTopology live;
  std::vector<int> out;
  if (!live.t) return current_affinity();
  hwloc_const_cpuset_t set = hwloc_topology_get_allowed_cpuset(live.t);
  for (int i = hwloc_bitmap_first(set); i >= 0; i = hwloc_bitmap_next(set, i)) out.push_back(i);
  return out;
}

Status bind_this_process(const std::vector<int>& cpus) {
  if (cpus.empty()) return InvalidInput("no CPUs to bind to");
  LiveTopology live;
  if (!live.t)
    return Failed("hwloc could not read this machine's topology, so the rank cannot be bound");
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  for (int c : cpus) hwloc_bitmap_set(set, static_cast<unsigned>(c));
  int rc = hwloc_set_cpubind(live.t, set, HWLOC_CPUBIND_PROCESS);
  int err = errno;
  hwloc_bitmap_free(set);
  if (rc != 0)
    return Failed("binding to CPUs " + cpu_list(cpus) + " failed: " + std::strerror(err) +
                  " (are they outside this job's allowed CPUs " + cpu_list(allowed_cpus()) + "?)");
  std::vector<int> got = current_affinity();
  std::vector<int> want = cpus;
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  if (got != want)
    return Failed("the kernel applied CPUs " + cpu_list(got) + " instead of " + cpu_list(want));
  return Status::Ok();
}

}  // namespace slipway::topo
