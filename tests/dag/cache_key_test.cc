#include <gtest/gtest.h>

#include "dag/resolve.h"

namespace slipway {
namespace {

spec::Component comp() {
  spec::Component c;
  c.name = "train";
  c.command = {"train", "{{inputs.data}}", "{{outputs.model}}"};
  c.image = "python:3.11";
  c.outputs.push_back(
      {"model", spec::TypeRef{true, ParamType::kString, "Model", false}, {}, false, "", {}});
  return c;
}

Json artifact(const std::string& sha, const std::string& uri) {
  return Json{{"artifact", true}, {"id", 1}, {"type", "Dataset"}, {"uri", uri}, {"sha256", sha}};
}

TEST(CacheKey, SameContentSameKeyWhateverThePath) {
  auto a = dag::cache_key(comp(), {{"data", artifact("aaa", "/run1/x")}, {"lr", 0.1}});
  auto b = dag::cache_key(comp(), {{"data", artifact("aaa", "/run2/elsewhere")}, {"lr", 0.1}});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 64u);
}

TEST(CacheKey, ChangedContentParameterOrComponentMisses) {
  auto base = dag::cache_key(comp(), {{"data", artifact("aaa", "/x")}, {"lr", 0.1}});
  EXPECT_NE(base, dag::cache_key(comp(), {{"data", artifact("bbb", "/x")}, {"lr", 0.1}}));
  EXPECT_NE(base, dag::cache_key(comp(), {{"data", artifact("aaa", "/x")}, {"lr", 0.2}}));
  spec::Component c2 = comp();
  c2.image = "python:3.12";
  EXPECT_NE(base, dag::cache_key(c2, {{"data", artifact("aaa", "/x")}, {"lr", 0.1}}));
  spec::Component c3 = comp();
  c3.env["SEED"] = "1";
  EXPECT_NE(base, dag::cache_key(c3, {{"data", artifact("aaa", "/x")}, {"lr", 0.1}}));
  spec::Component c4 = comp();
  c4.args.push_back("--fast");
  EXPECT_NE(base, dag::cache_key(c4, {{"data", artifact("aaa", "/x")}, {"lr", 0.1}}));
}

}  // namespace
}  // namespace slipway
