#include "backends/k8s/k8s_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace slipway {
namespace {

// A file of its own for each call: ctest runs these tests at once, as separate processes.
std::string write(const std::string& text) {
  static int n = 0;
  std::string path = ::testing::TempDir() + "/k8s_config_test-" + std::to_string(::getpid()) + "-" +
                     std::to_string(n++) + ".yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(K8sConfig, ReadsEveryKey) {
  auto c = backends::K8sConfig::load(write(
      "namespace: ml\ncontext: prod\nimage: r/s:1\nslipway_path: /usr/local/bin/slipway\n"
      "run_root: {pvc: data, mount_path: /var/lib/slipway}\nnode_selector: {pool: gpu}\n"
      "tolerations: [{key: nvidia.com/gpu, operator: Exists}]\ndistributed: mpijob\ngang: "
      "kueue\nqueue: team-a\n"
      "env: {NCCL_DEBUG: WARN}\nimage_pull_grace: 30s\npoll_interval: 500ms\nmax_in_flight: 20\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->pvc, "data");
  EXPECT_EQ(c->mount_path, "/var/lib/slipway");
  EXPECT_EQ(c->node_selector.at("pool"), "gpu");
  EXPECT_EQ(c->tolerations[0]["key"], "nvidia.com/gpu");
  EXPECT_EQ(c->distributed, "mpijob");
  EXPECT_EQ(c->poll_interval_ms, 500);
  EXPECT_EQ(c->image_pull_grace_ms, 30'000);
  EXPECT_EQ(
      c->kubectl_argv({"get", "jobs"}),
      (std::vector<std::string>{"kubectl", "--context=prod", "--namespace=ml", "get", "jobs"}));
}

TEST(K8sConfig, ErrorsPointAtTheLineAndSayWhatIsAllowed) {
  auto typo = backends::K8sConfig::load(write("image: x\nnode_selectr: {a: b}\n"));
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find(":2:"), std::string::npos) << typo.status().message();
  EXPECT_NE(typo.status().message().find("node_selector"), std::string::npos) << "did you mean";

  auto both = backends::K8sConfig::load(write("run_root: {pvc: a, host_path: /b}\n"));
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("not both"), std::string::npos);

  auto kueue = backends::K8sConfig::load(write("gang: kueue\n"));
  ASSERT_FALSE(kueue.ok());
  EXPECT_NE(kueue.status().message().find("queue"), std::string::npos);

  auto type = backends::K8sConfig::load(write("max_in_flight: many\n"));
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("max_in_flight"), std::string::npos)
      << type.status().message();
}

TEST(K8sConfig, EmptyFileMeansDefaults) {
  auto c = backends::K8sConfig::load(write(""));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->distributed, "pytorchjob");
  EXPECT_EQ(c->kubectl, "kubectl");
}

}  // namespace
}  // namespace slipway
