// CreatePVC and DeletePVC steps: the claim's name and the PersistentVolumeClaim they ask for.
#include "backends/kfp_volume.h"

#include <gtest/gtest.h>

namespace slipway {
namespace {

std::vector<std::string> step(const std::string& op, const std::string& params) {
  return {"slipway", "__kfp-volume", op, "my-run-1A2b",
          R"({"inputs": {"parameterValues": )" + params +
              R"(}, "outputs": {"parameters": {"name": {"outputFile": "/out/name"}}}})"};
}

TEST(KfpVolume, UnnamedClaimsAreNamedAfterTheRun) {
  auto s = backends::kfp_volume_step(step("create", R"({"pvc_name_suffix": "-my-pvc"})"));
  ASSERT_TRUE(s.ok() && *s) << s.status().message();
  EXPECT_EQ((*s)->claim, "my-run-1a2b-my-pvc");  // lower-cased: a claim name is a DNS name
  EXPECT_EQ(backends::kfp_volume_name_output(**s), "/out/name");
}

TEST(KfpVolume, AClaimManifestAsCreatePvcDocumentsIt) {
  auto s = backends::kfp_volume_step(
      step("create", R"({"pvc_name": "data", "size": "5Gi", "access_modes": ["ReadWriteMany"],
                    "storage_class": "fast", "annotations": {"a": "b"}})"));
  ASSERT_TRUE(s.ok() && *s);
  Json m = backends::kfp_pvc_manifest(**s);
  EXPECT_EQ(m["kind"], "PersistentVolumeClaim");
  EXPECT_EQ(m["metadata"]["name"], "data");
  EXPECT_EQ(m["metadata"]["annotations"]["a"], "b");
  EXPECT_EQ(m["spec"]["accessModes"], Json({"ReadWriteMany"}));
  EXPECT_EQ(m["spec"]["resources"]["requests"]["storage"], "5Gi");
  EXPECT_EQ(m["spec"]["storageClassName"], "fast");
}

TEST(KfpVolume, BadNamesAndOtherCommandsAreToldApart) {
  auto other = backends::kfp_volume_step({"python3", "-c", "pass"});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*other);
  auto bad = backends::kfp_volume_step(step("create", R"({"pvc_name": "Has Spaces"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not a valid claim name"), std::string::npos);
}

}  // namespace
}  // namespace slipway
