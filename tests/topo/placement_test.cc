// The placement planner over real-shaped topologies, and what its renderers say.
#include "topo/placement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace slipway {
namespace {

topo::Topology load(const std::string& name) {
  auto t = topo::load_topology(std::string(SLIPWAY_SOURCE_DIR) + "/tests/fixtures/topo/" + name);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? *t : topo::Topology{};
}

bool subset(const std::vector<int>& a, const std::vector<int>& b) {
  return std::all_of(a.begin(), a.end(),
                     [&](int x) { return std::find(b.begin(), b.end(), x) != b.end(); });
}

TEST(Placement, OneRankPerGpuSitsOnItsGpusNumaNode) {
  for (const char* f :
       {"dgx_a100_like.xml", "two_socket_smt4_4gpu.xml", "one_socket_4numa_8gcd.xml"}) {
    topo::Topology t = load(f);
    topo::PlanRequest req;
    req.ranks = static_cast<int>(t.accelerators.size());
    req.gpus_per_rank = 1;
    auto plan = topo::plan_placement(t, req);
    ASSERT_TRUE(plan.ok()) << f << ": " << plan.status().message();
    EXPECT_EQ(plan->policy, topo::PlacementPolicy::kGpuAffine);
    std::set<int> gpus, cpus;
    for (const auto& r : plan->ranks) {
      ASSERT_EQ(r.gpus.size(), 1u);
      const topo::TopoAccelerator& g = t.accelerators[static_cast<size_t>(r.gpus[0])];
      EXPECT_TRUE(subset(r.cpus, g.cpus))
          << f << " rank " << r.local_rank << " is not on GPU " << g.pci_busid << "'s cores";
      EXPECT_EQ(r.numa, g.numa.front()) << f;
      gpus.insert(r.gpus[0]);
      for (int c : r.cpus)
        EXPECT_TRUE(cpus.insert(c).second) << f << ": CPU " << c << " given twice";
    }
    EXPECT_EQ(gpus.size(), t.accelerators.size()) << f << ": every GPU used once";
  }
}

TEST(Placement, RanksUseTheNicOnTheirNumaNodeAndShareItEvenly) {
  topo::Topology t = load("dgx_a100_like.xml");
  auto plan = topo::plan_placement(t, {8, 1, 0, true, std::nullopt});
  ASSERT_TRUE(plan.ok());
  for (const auto& r : plan->ranks)
    EXPECT_EQ(r.nic, "mlx5_" + std::to_string(r.numa)) << "rank " << r.local_rank;
  // Ethernet only (the 8-GCD node): the Ethernet NIC, for everyone.
  topo::Topology amd = load("one_socket_4numa_8gcd.xml");
  auto p2 = topo::plan_placement(amd, {8, 1, 0, true, std::nullopt});
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->ranks[0].nic, "hsn0");
  auto env = topo::plan_env(amd, *p2, 3);
  EXPECT_EQ(env["ROCR_VISIBLE_DEVICES"], "3");
  EXPECT_EQ(env["NCCL_SOCKET_IFNAME"], "=hsn0");
  EXPECT_EQ(env.count("CUDA_VISIBLE_DEVICES"), 0u);
}

TEST(Placement, PackKeepsARankInOneNumaNodeWhenItFits) {
  topo::Topology t = load("dgx_a100_like.xml");  // 4 NUMA nodes of 16 cores
  topo::PlanRequest req;
  req.ranks = 3;
  req.cores_per_rank = 12;
  auto plan = topo::plan_placement(t, req);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  for (const auto& r : plan->ranks) {
    std::set<int> numas;
    for (int c : r.cores) numas.insert(t.cores[static_cast<size_t>(c)].numa);
    EXPECT_EQ(numas.size(), 1u) << "rank " << r.local_rank << " spans NUMA nodes";
  }
  // The second rank does not take NUMA 0's 4 leftover cores plus 8 elsewhere.
  EXPECT_NE(plan->ranks[0].numa, plan->ranks[1].numa);
}

TEST(Placement, SpreadGoesRoundRobinOverNumaNodes) {
  topo::Topology t = load("dgx_a100_like.xml");
  topo::PlanRequest req;
  req.ranks = 4;
  req.cores_per_rank = 2;
  req.policy = topo::PlacementPolicy::kSpread;
  auto plan = topo::plan_placement(t, req);
  ASSERT_TRUE(plan.ok());
  std::vector<int> numas;
  for (const auto& r : plan->ranks) numas.push_back(r.numa);
  EXPECT_EQ(numas, (std::vector<int>{0, 1, 2, 3}));
  req.policy = topo::PlacementPolicy::kPack;
  auto packed = topo::plan_placement(t, req);
  for (const auto& r : packed->ranks) EXPECT_EQ(r.numa, 0);
}

TEST(Placement, ImpossibleRequestsSayWhatIsShort) {
  topo::Topology t = load("two_socket_smt4_4gpu.xml");  // 40 cores, 4 GPUs
  auto gpus = topo::plan_placement(t, {8, 1, 0, true, std::nullopt});
  ASSERT_FALSE(gpus.ok());
  EXPECT_NE(gpus.status().message().find("8 GPUs, but"), std::string::npos)
      << gpus.status().message();
  EXPECT_NE(gpus.status().message().find("has 4"), std::string::npos);
  auto cores = topo::plan_placement(t, {4, 0, 11, true, std::nullopt});
  ASSERT_FALSE(cores.ok());
  EXPECT_NE(cores.status().message().find("44 cores, but"), std::string::npos)
      << cores.status().message();
  EXPECT_FALSE(topo::parse_policy("packed").ok());
}

TEST(Placement, SmtOffBindsOneThreadPerCore) {
  topo::Topology t = load("two_socket_smt4_4gpu.xml");
  auto plan = topo::plan_placement(t, {2, 0, 3, false, std::nullopt});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->ranks[0].cpus, (std::vector<int>{0, 1, 2}));
  auto smt = topo::plan_placement(t, {2, 0, 3, true, std::nullopt});
  EXPECT_EQ(smt->ranks[0].cpus.size(), 12u);
}

TEST(Placement, RenderersApplyThePlan) {
  topo::Topology t = load("two_socket_smt4_4gpu.xml");
  auto plan = topo::plan_placement(t, {4, 1, 2, false, std::nullopt});
  ASSERT_TRUE(plan.ok());
  auto srun = topo::plan_srun_flags(t, *plan);
  EXPECT_EQ(srun[0], "--ntasks-per-node=4");
  EXPECT_EQ(srun[1],
            "--cpu-bind=mask_cpu:0x3,0xc,0x300000,0xc00000");  // cores 0-1, 2-3, 20-21, 22-23
  EXPECT_EQ(srun[2], "--gpu-bind=map_gpu:0,1,2,3");
  std::string rankfile = topo::plan_rankfile(t, *plan, {"a", "b"});
  EXPECT_NE(rankfile.find("rank 0=a slot=0:0-1\n"), std::string::npos) << rankfile;
  EXPECT_NE(rankfile.find("rank 2=a slot=1:0-1\n"), std::string::npos) << rankfile;
  EXPECT_NE(rankfile.find("rank 7=b slot=1:2-3\n"), std::string::npos) << rankfile;
  auto env = topo::plan_env(t, *plan, 2);
  EXPECT_EQ(env["CUDA_VISIBLE_DEVICES"], "2");
  EXPECT_EQ(env["CUDA_DEVICE_ORDER"], "PCI_BUS_ID");
  EXPECT_EQ(env["NCCL_IB_HCA"], "=mlx5_1");
  EXPECT_EQ(env["OMP_NUM_THREADS"], "2");
  EXPECT_EQ(env["OMP_PLACES"], "{20},{21}");
}

}  // namespace
}  // namespace slipway
