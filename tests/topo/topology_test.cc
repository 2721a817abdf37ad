// Topologies of GPU machines (tests/fixtures/topo, hwloc 2 XML) read back, and checked against
// hwloc's own command-line tools on the same files.
#include "topo/topology.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "core/strings.h"
#include "tests/topo/hwloc_tools.h"

namespace slipway {
namespace {

std::string fixture(const std::string& name) {
  return std::string(SLIPWAY_SOURCE_DIR) + "/tests/fixtures/topo/" + name;
}

const char* kFixtures[] = {"dgx_a100_like.xml", "two_socket_smt4_4gpu.xml",
                           "one_socket_4numa_8gcd.xml", "cpu_two_socket.xml"};

using test_tools::have_hwloc_tools;
using test_tools::hwloc_calc;

TEST(Topology, ReadsTheMachinesShape) {
  auto t = topo::load_topology(fixture("dgx_a100_like.xml"));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->packages, 2);
  EXPECT_EQ(t->numa.size(), 4u);
  EXPECT_EQ(t->cores.size(), 64u);
  EXPECT_EQ(t->pu_count(), 128);
  ASSERT_EQ(t->accelerators.size(), 8u);
  EXPECT_EQ(t->accelerators[5].names, (std::vector<std::string>{"cuda5", "nvml5"}));
  EXPECT_EQ(t->accelerators[5].numa, std::vector<int>{2});
  EXPECT_EQ(t->gpus.size(), 16u);  // cudaN and nvmlN of each
  EXPECT_EQ(t->numa_distance(0, 1), 12u);
  EXPECT_EQ(t->numa_distance(0, 3), 32u);
  auto nic = std::find_if(t->nics.begin(), t->nics.end(),
                          [](const topo::TopoDevice& d) { return d.name == "mlx5_3"; });
  ASSERT_NE(nic, t->nics.end());
  EXPECT_EQ(nic->subtype, "OpenFabrics");
  EXPECT_EQ(nic->numa, std::vector<int>{3});
  EXPECT_EQ(nic->pci_busid, "0000:ba:00.0");
}

TEST(Topology, EveryDeviceAgreesWithHwlocCalc) {
  if (!have_hwloc_tools()) GTEST_SKIP() << "hwloc-calc is not installed (Debian package hwloc)";
  for (const char* f : kFixtures) {
    auto t = topo::load_topology(fixture(f));
    ASSERT_TRUE(t.ok()) << f << ": " << t.status().message();
    std::vector<topo::TopoDevice> devices = t->gpus;
    devices.insert(devices.end(), t->nics.begin(), t->nics.end());
    ASSERT_FALSE(devices.empty()) << f;
    for (const auto& d : devices) {
      std::vector<int> cpus = d.cpus, numa = d.numa;
      std::sort(cpus.begin(), cpus.end());
      std::sort(numa.begin(), numa.end());
      EXPECT_EQ(cpus, hwloc_calc(fixture(f), d.name, "PU")) << f << " " << d.name;
      EXPECT_EQ(numa, hwloc_calc(fixture(f), d.name, "NUMAnode")) << f << " " << d.name;
    }
  }
}

TEST(Topology, ThisMachineLoads) {
  auto t = topo::load_topology();
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_GE(t->cores.size(), 1u);
  EXPECT_GE(t->numa.size(), 1u);
  EXPECT_EQ(t->source, "this machine");
}

TEST(Topology, BadFilesGetClearErrors) {
  std::string dir = ::testing::TempDir();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  };
  auto v4 = topo::load_topology(
      write("v4.xml", "<?xml version=\"1.0\"?>\n<topology version=\"4.0\">\n</topology>\n"));
  ASSERT_FALSE(v4.ok());
  EXPECT_NE(v4.status().message().find("hwloc 4.0 XML"), std::string::npos)
      << v4.status().message();
  auto v3 = topo::load_topology(
      write("v3.xml", "<?xml version=\"1.0\"?>\n<topology version=\"3.0\">\n</topology>\n"));
  ASSERT_FALSE(v3.ok());
  EXPECT_NE(v3.status().message().find("has no root object"), std::string::npos)
      << v3.status().message();
  auto v3_broken = topo::load_topology(
      write("v3b.xml", "<?xml version=\"1.0\"?>\n<topology version=\"3.0\">\n<object type=\"Mach"));
  ASSERT_FALSE(v3_broken.ok());
  EXPECT_NE(v3_broken.status().message().find("not well-formed XML"), std::string::npos)
      << v3_broken.status().message();
  auto junk = topo::load_topology(write("junk.xml", "not xml at all"));
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("not an hwloc XML topology"), std::string::npos)
      << junk.status().message();
  auto broken = topo::load_topology(
      write("broken.xml",
            "<?xml version=\"1.0\"?>\n<topology version=\"2.0\">\n<object type=\"Machine\""));
  EXPECT_FALSE(broken.ok());
  auto missing = topo::load_topology(dir + "/no-such-file.xml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot read"), std::string::npos);
}

TEST(Topology, CpuListsAreCompact) {
  EXPECT_EQ(topo::cpu_list({3, 0, 1, 2, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_EQ(topo::cpu_list({}), "");
}

}  // namespace
}  // namespace slipway
