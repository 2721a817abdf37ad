#include "backends/k8s/k8s_state.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace slipway {
namespace {

Json fixture(const std::string& name) {
  std::ifstream in(std::string(SLIPWAY_SOURCE_DIR) + "/tests/fixtures/k8s/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

TEST(K8sState, CompletedJobSucceedsWithExitZero) {
  auto s = backends::parse_k8s_list(fixture("job_outcomes.json"));
  const auto& load = s.at("sw-load");
  EXPECT_TRUE(load.finished);
  EXPECT_TRUE(load.succeeded);
  EXPECT_EQ(load.key, "load#1");
  backends::Completion c = backends::completion_from_k8s(load);
  EXPECT_EQ(c.key, "load#1");
  EXPECT_EQ(c.exit_code, 0);
}

TEST(K8sState, OomKilledPodGivesSignalAndReason) {
  auto s = backends::parse_k8s_list(fixture("job_outcomes.json"));
  const auto& train = s.at("sw-train");
  EXPECT_TRUE(train.finished);
  EXPECT_FALSE(train.succeeded);
  EXPECT_EQ(train.exit_code, 137);
  backends::Completion c = backends::completion_from_k8s(train);
  EXPECT_EQ(c.signal, 9);  // 137 = 128 + SIGKILL
  EXPECT_NE(c.message.find("BackoffLimitExceeded"), std::string::npos) << c.message;
  EXPECT_NE(c.message.find("OOMKilled: the container went over its memory limit"),
            std::string::npos)
      << c.message;
  EXPECT_FALSE(c.infrastructure);
}

TEST(K8sState, DeadlineExceededIsATimeout) {
  auto s = backends::parse_k8s_list(fixture("job_outcomes.json"));
  backends::Completion c = backends::completion_from_k8s(s.at("sw-slow"));
  EXPECT_TRUE(c.timed_out);
  EXPECT_NE(c.message.find("DeadlineExceeded"), std::string::npos);
}

TEST(K8sState, UnschedulablePodKeepsWaitingWithTheSchedulersReason) {
  auto s = backends::parse_k8s_list(fixture("job_outcomes.json"));
  const auto& big = s.at("sw-big");
  EXPECT_FALSE(big.finished);
  EXPECT_FALSE(big.hopeless);  // capacity may free up; the scheduler's reason is shown meanwhile
  EXPECT_NE(big.message.find("Insufficient nvidia.com/gpu"), std::string::npos) << big.message;
}

TEST(K8sState, ImagePullBackOffIsHopeless) {
  auto s = backends::parse_k8s_list(fixture("job_outcomes.json"));
  const auto& bad = s.at("sw-badimage");
  EXPECT_FALSE(bad.finished);
  EXPECT_TRUE(bad.hopeless);
  EXPECT_NE(bad.message.find("ImagePullBackOff"), std::string::npos);
  EXPECT_NE(bad.message.find("registry.example/slipway:nope"), std::string::npos);
}

TEST(K8sState, SuspendedJobWaitsForAdmission) {
  auto s = backends::parse_k8s_list(fixture("job_outcomes.json"));
  const auto& q = s.at("sw-queued");
  EXPECT_FALSE(q.finished);
  EXPECT_NE(q.message.find("Kueue"), std::string::npos);
}

TEST(K8sState, TrainingOperatorConditions) {
  auto s = backends::parse_k8s_list(fixture("distributed_outcomes.json"));
  ASSERT_EQ(s.size(), 3u);  // pods are folded into their objects
  EXPECT_TRUE(s.at("sw-allreduce").succeeded);
  EXPECT_EQ(s.at("sw-allreduce").kind, "MPIJob");
  EXPECT_FALSE(s.at("sw-long").finished);
  const auto& ddp = s.at("sw-ddp");
  EXPECT_TRUE(ddp.finished);
  EXPECT_FALSE(ddp.succeeded);
  backends::Completion c = backends::completion_from_k8s(ddp);
  EXPECT_TRUE(c.infrastructure)
      << "an evicted worker is the cluster's doing: retried without counting";
  EXPECT_NE(c.message.find("Evicted"), std::string::npos) << c.message;
  EXPECT_NE(c.message.find("1 Worker replica(s) failed"), std::string::npos) << c.message;
}

TEST(K8sState, NotAListIsEmpty) {
  EXPECT_TRUE(backends::parse_k8s_list(Json::object()).empty());
  EXPECT_TRUE(backends::parse_k8s_list(Json{{"items", "nope"}}).empty());
}

}  // namespace
}  // namespace slipway
