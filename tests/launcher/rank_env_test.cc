// What `slipway launch` reads from the environments of srun, mpirun and a PyTorchJob pod, and
// that it binds a process for real.
#include "launcher/rank_env.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "launcher/launch.h"
#include "topo/binding.h"

namespace slipway {
namespace {

TEST(RankEnv, SlurmStep) {
  launcher::EnvMap env = {{"SLURM_STEP_ID", "0"},
                          {"SLURM_PROCID", "5"},
                          {"SLURM_NTASKS", "8"},
                          {"SLURM_LOCALID", "1"},
                          {"SLURM_NODEID", "2"},
                          {"SLURM_STEP_NODELIST", "gpu[07-10]"},
                          {"SLURM_STEP_TASKS_PER_NODE", "2(x4)"},
                          {"SLURM_JOB_ID", "4242"}};
  auto r = launcher::discover_rank(env);
  ASSERT_TRUE(r.ok() && *r) << r.status().message();
  const launcher::RankInfo& i = **r;
  EXPECT_EQ(i.source, "slurm");
  EXPECT_EQ(i.rank, 5);
  EXPECT_EQ(i.world_size, 8);
  EXPECT_EQ(i.local_rank, 1);
  EXPECT_EQ(i.local_world_size, 2);
  EXPECT_EQ(i.node_rank, 2);
  EXPECT_EQ(i.nodes, 4);
  EXPECT_EQ(i.hosts, (std::vector<std::string>{"gpu07", "gpu08", "gpu09", "gpu10"}));
  EXPECT_EQ(i.job_id, "4242.0");
}

TEST(RankEnv, BatchScriptWithoutAStepIsNotARank) {
  auto r = launcher::discover_rank({{"SLURM_JOB_ID", "1"}, {"SLURM_PROCID", "0"}});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

TEST(RankEnv, OpenMpiAndPyTorchJob) {
  auto o = launcher::discover_rank({{"OMPI_COMM_WORLD_RANK", "6"},
                                    {"OMPI_COMM_WORLD_SIZE", "8"},
                                    {"OMPI_COMM_WORLD_LOCAL_RANK", "2"},
                                    {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"},
                                    {"MASTER_ADDR", "10.0.0.1"}});
  ASSERT_TRUE(o.ok() && *o) << o.status().message();
  EXPECT_EQ((*o)->node_rank, 1);
  EXPECT_EQ((*o)->nodes, 2);
  EXPECT_EQ((*o)->master_addr, "10.0.0.1");
  auto pj = launcher::discover_rank({{"PET_NNODES", "3"},
                                     {"PET_NODE_RANK", "2"},
                                     {"PET_NPROC_PER_NODE", "4"},
                                     {"MASTER_ADDR", "job-master-0"},
                                     {"MASTER_PORT", "23456"}});
  ASSERT_TRUE(pj.ok() && *pj);
  EXPECT_TRUE((*pj)->spawn_local);
  EXPECT_EQ((*pj)->world_size, 12);
  EXPECT_EQ((*pj)->master_port, 23456);
  auto one = launcher::discover_rank({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "m"}});
  ASSERT_TRUE(one.ok() && *one);
  EXPECT_EQ((*one)->rank, 3);
  EXPECT_EQ((*one)->local_world_size, 1);
}

TEST(RankEnv, InconsistentVariablesAreErrors) {
  auto r = launcher::discover_rank({{"SLURM_STEP_ID", "0"},
                                    {"SLURM_PROCID", "9"},
                                    {"SLURM_NTASKS", "8"},
                                    {"SLURM_LOCALID", "0"},
                                    {"SLURM_NODEID", "0"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("rank 9 is not below the world size 8"), std::string::npos);
  auto bad = launcher::discover_rank({{"SLURM_STEP_ID", "0"}, {"SLURM_PROCID", "x"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("SLURM_PROCID='x'"), std::string::npos)
      << bad.status().message();
}

TEST(RankEnv, HostListsAndTaskCounts) {
  EXPECT_EQ(*launcher::expand_hostlist("n[1-3,7],login,gpu-a[01-02]"),
            (std::vector<std::string>{"n1", "n2", "n3", "n7", "login", "gpu-a01", "gpu-a02"}));
  EXPECT_FALSE(launcher::expand_hostlist("n[1-3").ok());
  EXPECT_FALSE(launcher::expand_hostlist("n[a-b]").ok());
  // Numbers too long for an int are an error, not an exception out of stol.
  EXPECT_FALSE(launcher::expand_hostlist("n[1-99999999999999999999]").ok());
  EXPECT_EQ(*launcher::expand_tasks_per_node("2(x3),1"), (std::vector<int>{2, 2, 2, 1}));
  EXPECT_FALSE(launcher::expand_tasks_per_node("2(3)").ok());
  EXPECT_FALSE(launcher::expand_tasks_per_node("99999999999").ok());
  EXPECT_FALSE(launcher::expand_tasks_per_node("2(x99999999999)").ok());
}

TEST(RankEnv, PortsDependOnlyOnTheJob) {
  EXPECT_EQ(launcher::rendezvous_port("77.0", 29500, 39499),
            launcher::rendezvous_port("77.0", 29500, 39499));
  std::set<int> ports;
  for (int j = 0; j < 50; ++j) {
    int p = launcher::rendezvous_port(std::to_string(1000 + j) + ".0", 29500, 39499);
    EXPECT_GE(p, 29500);
    EXPECT_LE(p, 39499);
    ports.insert(p);
  }
  EXPECT_GE(ports.size(), 48u);  // neighbouring job ids spread over the range
}

TEST(Launch, LocalRanksGetTheirPlacementAndRendezvous) {
  launcher::LaunchOptions o;
  o.nproc = 2;
  auto s = launcher::plan_launch(
      o, {{"SLIPWAY_RUN_ID", "r1"}, {"SLIPWAY_TASK", "train"}, {"SLIPWAY_ATTEMPT", "1"}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[1].env.at("RANK"), "1");
  EXPECT_EQ((*s)[1].env.at("WORLD_SIZE"), "2");
  EXPECT_EQ((*s)[0].env.at("MASTER_ADDR"), "127.0.0.1");
  EXPECT_EQ((*s)[0].env.at("MASTER_PORT"),
            std::to_string(launcher::rendezvous_port("r1/train#1", 29500, 39499)));
}

TEST(Binding, IsAppliedAndReadBackFromTheKernel) {
  std::vector<int> allowed = topo::allowed_cpus();
  ASSERT_FALSE(allowed.empty());
  int cpu = allowed.back();
  pid_t pid = fork();
  if (pid == 0) {
    Status st = topo::bind_this_process({cpu});
    if (!st.ok()) _exit(2);
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Cpus_allowed_list:", 0) == 0)
        _exit(line.find("\t" + std::to_string(cpu)) != std::string::npos ? 0 : 3);
    _exit(4);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: binding failed, 3: /proc shows another CPU";
  Status impossible = topo::bind_this_process({100000});
  EXPECT_FALSE(impossible.ok());
}

}  // namespace
}  // namespace slipway
