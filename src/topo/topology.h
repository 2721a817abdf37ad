// The machine as hwloc sees it, reduced to what placement needs: packages, NUMA nodes, cores
// with their hardware threads, caches, GPUs and NICs with the CPUs and NUMA nodes local to them,
// and the distance matrices the topology carries. Loaded from this machine or from an exported
// hwloc XML file, so any cluster's nodes can be studied from a laptop.
//
// All CPU and NUMA numbers are OS (physical) indexes, the numbers the kernel, taskset, Slurm's
// masks and numactl use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace slipway::topo {

struct TopoNuma {
  int os_index = 0;
  int package = 0;           // logical index of the package that holds it
  std::uint64_t memory = 0;  // bytes
  std::vector<int> cpus;     // PUs
};

struct TopoCore {
  int index = 0;             // logical index over the machine, in topology order
  int package = 0;           // logical package index
  int index_in_package = 0;  // logical core index within its package (Open MPI's slot=S:C)
  int numa = -1;             // OS index of its NUMA node
  std::vector<int> pus;      // OS indexes of its hardware threads
};

struct TopoCache {
  int level = 0;
  std::uint64_t size = 0;
  int count = 0;
};

// A GPU or NIC as one hwloc OS device (cuda0, nvml0, rsmi0, mlx5_0, ib0, eth0).
struct TopoDevice {
  std::string name;
  std::string subtype;    // CUDA, NVML, RSMI, OpenCL, LevelZero; OpenFabrics, Network
  std::string pci_busid;  // of the PCI device it belongs to; empty if none
  std::vector<int> numa;  // OS indexes of the NUMA nodes local to it
  std::vector<int> cpus;  // OS indexes of the PUs local to it
};

// One accelerator as a PCI device, whatever OS devices name it: what placement hands out.
// Ordered by PCI bus id, the order CUDA (with CUDA_DEVICE_ORDER=PCI_BUS_ID) and ROCm number them.
struct TopoAccelerator {
  int index = 0;
  std::string pci_busid;
  std::vector<std::string> names;  // e.g. {"cuda3", "nvml3"}
  std::string vendor;              // nvidia, amd, other
  std::vector<int> numa, cpus;
};

struct TopoDistances {
  std::string name;                  // hwloc's name of the matrix, if any
  std::string kind;                  // latency or bandwidth
  std::vector<std::string> objects;  // numa0, cuda1, ...
  std::vector<std::vector<std::uint64_t>> values;
};

struct Topology {
  std::string source;  // "this machine" or the XML path
  // An hwloc 3 file read through its hwloc 2 form: what that form could not say ("" for none),
  // or "nothing" when it said everything; empty for hwloc 1 and 2 files.
  std::string converted_from_v3;
  std::string hostname, architecture;
  int packages = 0;
  std::vector<TopoNuma> numa;
  std::vector<TopoCore> cores;
  std::vector<TopoCache> caches;
  std::vector<TopoDevice> gpus, nics;
  std::vector<TopoAccelerator> accelerators;
  std::vector<TopoDistances> distances;

  int pu_count() const;
  const TopoNuma* numa_node(int os_index) const;
  // The NUMA distance between two nodes (10 = local), from the latency matrix where there is
  // one, else 10 for the same node, 20 within a package and 40 across packages.
  std::uint64_t numa_distance(int a, int b) const;
};

// Empty path: this machine. hwloc 3.x XML (which this hwloc cannot read) and unreadable files
// are clear errors naming the problem.
Result<Topology> load_topology(const std::string& xml_path = "");

Json topology_json(const Topology& t);
std::string topology_text(const Topology& t);

// "0-3,8,10-11"
std::string cpu_list(const std::vector<int>& cpus);

}  // namespace slipway::topo
