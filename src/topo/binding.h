// Binding the calling process (and so what it execs) to CPUs, through hwloc, and reading back
// what the kernel applied.
#pragma once

#include <vector>

#include "core/status.h"

namespace slipway::topo {

// Binds this process to the given OS CPU indexes, then verifies: the kernel's affinity
// (sched_getaffinity) must be exactly that set.
Status bind_this_process(const std::vector<int>& cpus);

// The CPUs this process may run on now.
std::vector<int> current_affinity();

// The CPUs this process is allowed (its cgroup's cpuset, as hwloc sees it).
std::vector<int> allowed_cpus();

}  // namespace slipway::topo
