// The variables each operator gives a replica, checked against what the Training Operator's code
// computes (release-1.9, pkg/controller.v1/*), with slipway's hosts and ports in place of the
// operator's Service names.
#include "jobs/operator_env.h"

#include <gtest/gtest.h>

namespace slipway::jobs {
namespace {

spec::TrainingJob job_of(const std::string& kind, std::vector<std::pair<std::string, int>> groups) {
  spec::TrainingJob j;
  j.kind = kind;
  j.api_version = "kubeflow.org/v1";
  j.name = "demo";
  for (auto& [type, n] : groups) {
    spec::ReplicaGroup g;
    g.type = type;
    g.replicas = n;
    g.container.name = kind == "TFJob" ? "tensorflow" : "main";
    g.container.command = {"true"};
    j.groups.push_back(g);
  }
  return j;
}

AddressBook book_of(const spec::TrainingJob& j) {
  std::vector<std::string> hosts;
  for (int i = 0; i < j.total_replicas(); ++i) hosts.push_back("h" + std::to_string(i));
  return AddressBook(j, hosts, 3000);
}

TEST(OperatorEnv, PyTorchJobWorkersRankAfterTheMaster) {
  auto j = job_of("PyTorchJob", {{"Master", 1}, {"Worker", 2}});
  auto book = book_of(j);
  EnvMap w1 = operator_env(j, {"Worker", 1, 2}, book);
  EXPECT_EQ(w1, (EnvMap{{"MASTER_ADDR", "h0"},
                        {"MASTER_PORT", "3000"},
                        {"PET_MASTER_ADDR", "h0"},
                        {"PET_MASTER_PORT", "3000"},
                        {"PET_NNODES", "3"},
                        {"PET_NODE_RANK", "2"},
                        {"PET_NPROC_PER_NODE", "auto"},
                        {"PYTHONUNBUFFERED", "1"},
                        {"RANK", "2"},
                        {"WORLD_SIZE", "3"}}));
  j.nproc_per_node = "4";
  EnvMap m = operator_env(j, {"Master", 0, 0}, book);
  EXPECT_EQ(m["RANK"], "0");
  EXPECT_EQ(m["WORLD_SIZE"], "12");  // replicas x nprocPerNode
  EXPECT_EQ(m["PET_NPROC_PER_NODE"], "4");
}

TEST(OperatorEnv, ElasticPyTorchJobRendezvousAtWorkerZero) {
  auto j = job_of("PyTorchJob", {{"Worker", 3}});
  spec::ElasticPolicy e;
  e.min_replicas = 1;
  e.max_replicas = 3;
  e.max_restarts = 5;
  e.rdzv_conf = "timeout=60";
  j.elastic = e;
  EnvMap w = operator_env(j, {"Worker", 2, 2}, book_of(j));
  EXPECT_EQ(w["PET_RDZV_ENDPOINT"], "h0:3000");
  EXPECT_EQ(w["PET_RDZV_BACKEND"], "c10d");
  EXPECT_EQ(w["PET_NNODES"], "1:3");
  EXPECT_EQ(w["PET_MAX_RESTARTS"], "5");
  EXPECT_EQ(w["PET_RDZV_CONF"], "timeout=60");
  // Without a Master the operator sets no MASTER_ADDR or RANK: torchrun's rendezvous decides.
  EXPECT_EQ(w.count("MASTER_ADDR"), 0u);
  EXPECT_EQ(w.count("RANK"), 0u);
}

TEST(OperatorEnv, TfConfigIsTheOperatorsTextWithSlipwaysAddresses) {
  auto j = job_of("TFJob", {{"Chief", 1}, {"PS", 1}, {"Worker", 2}});
  auto book = book_of(j);
  EXPECT_EQ(tf_config(j, {"Worker", 1, 3}, book),
            R"({"cluster":{"chief":["h0:3000"],"ps":["h1:3001"],"worker":["h2:3002","h3:3003"]},)"
            R"("task":{"type":"worker","index":1},"environment":"cloud"})");
  j.enable_dynamic_worker = true;
  EXPECT_EQ(
      tf_config(j, {"Worker", 1, 3}, book),
      R"({"cluster":{"worker":{"1":"h3:3003"},"ps":["h1:3001"]},"task":{"type":"worker","index":1}})");
  // A TFJob of one replica is not distributed: no TF_CONFIG (isDistributed).
  auto single = job_of("TFJob", {{"Worker", 1}});
  EXPECT_EQ(operator_env(single, {"Worker", 0, 0}, book_of(single)).count("TF_CONFIG"), 0u);
}

TEST(OperatorEnv, XGBoostPaddleAndJaxCoordinators) {
  auto x = job_of("XGBoostJob", {{"Master", 1}, {"Worker", 2}});
  EnvMap xw = operator_env(x, {"Worker", 0, 1}, book_of(x));
  EXPECT_EQ(xw["RANK"], "1");
  EXPECT_EQ(xw["WORLD_SIZE"], "3");
  EXPECT_EQ(xw["MASTER_ADDR"], "h0");
  EXPECT_EQ(xw["WORKER_ADDRS"], "h1,h2");
  EXPECT_EQ(xw["WORKER_PORT"], "3001");

  auto p = job_of("PaddleJob", {{"Worker", 2}});
  EnvMap pw = operator_env(p, {"Worker", 1, 1}, book_of(p));
  EXPECT_EQ(pw["PADDLE_MASTER"], "h0:3000");
  EXPECT_EQ(pw["PADDLE_NNODES"], "2");
  EXPECT_EQ(pw["PADDLE_JOB_ID"], "demo");

  auto jax = job_of("JAXJob", {{"Worker", 2}});
  EnvMap jw = operator_env(jax, {"Worker", 1, 1}, book_of(jax));
  EXPECT_EQ(jw["COORDINATOR_ADDRESS"], "h0");
  EXPECT_EQ(jw["COORDINATOR_PORT"], "3000");
  EXPECT_EQ(jw["NUM_PROCESSES"], "2");
  EXPECT_EQ(jw["PROCESS_ID"], "1");
}

TEST(OperatorEnv, TrainJobNodesGetTheTorchPluginsVariables) {
  auto j = job_of("TrainJob", {{"Node", 2}});
  EnvMap n1 = operator_env(j, {"Node", 1, 1}, book_of(j));
  EXPECT_EQ(n1, (EnvMap{{"PET_MASTER_ADDR", "h0"},
                        {"PET_MASTER_PORT", "3000"},
                        {"PET_NNODES", "2"},
                        {"PET_NODE_RANK", "1"},
                        {"PET_NPROC_PER_NODE", "auto"}}));
}

TEST(OperatorEnv, ContainerEnvExpandsReferencesAndFieldsAndTheOperatorWins) {
  auto j = job_of("PyTorchJob", {{"Master", 1}});
  j.groups[0].container.env = {{"A", "x"}, {"B", "$(A)-$(POD)-$$(A)-$(NOPE)"}, {"RANK", "99"}};
  j.groups[0].container.env_fields = {{"POD", "metadata.name"}};
  EnvMap env = container_env(j, {"Master", 0, 0}, book_of(j));
  EXPECT_EQ(env["B"], "x-demo-master-0-$(A)-$(NOPE)");
  EXPECT_EQ(env["RANK"], "0");
}

}  // namespace
}  // namespace slipway::jobs
