#include "spec/expr.h"

#include <gtest/gtest.h>

namespace slipway {
namespace {

bool eval(const std::string& text, Json a = 0.93, Json b = "yes") {
  auto e = spec::Expr::parse(text);
  EXPECT_TRUE(e.ok()) << e.status().message();
  auto r = e->evaluate([&](const spec::Ref& r) -> Result<Json> { return r.name == "a" ? a : b; });
  EXPECT_TRUE(r.ok()) << r.status().message();
  return *r;
}

TEST(Expr, ComparesNumbersStringsAndBools) {
  EXPECT_TRUE(eval("{{params.a}} >= 0.9"));
  EXPECT_FALSE(eval("{{params.a}} < 0.9"));
  EXPECT_TRUE(eval("{{params.a}} > 0.9 && {{params.b}} == 'yes'"));
  EXPECT_TRUE(eval("!({{params.b}} == \"no\") || false"));
  EXPECT_TRUE(eval("{{params.a}} == true", true));
  EXPECT_FALSE(eval("{{params.a}} == true", "false"));
  EXPECT_TRUE(eval("{{params.a}} == 10", "10"));  // numeric strings compare as numbers
  EXPECT_TRUE(eval("{{params.a}}", true));
}

TEST(Expr, CollectsReferences) {
  auto e = spec::Expr::parse("{{tasks.t.outputs.x}} > 1 && {{params.p}} != 'a'");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->refs().size(), 2u);
  EXPECT_EQ(e->refs()[0].task, "t");
  EXPECT_EQ(e->refs()[1].name, "p");
}

TEST(Expr, SyntaxErrorsSayWhere) {
  auto e = spec::Expr::parse("{{params.a}} > ");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("at character"), std::string::npos);
  EXPECT_FALSE(spec::Expr::parse("{{params.a} > 1").ok());
  EXPECT_FALSE(spec::Expr::parse("{{params.a}} >< 1").ok());
  EXPECT_FALSE(spec::Expr::parse("(1 > 0").ok());
}

// A generated or hostile condition gets an error, not a stack overflow, and a deep but sane one
// still parses and evaluates.
TEST(Expr, NestingIsBoundedWithAClearError) {
  for (const std::string& deep : {std::string(100000, '(') + "true" + std::string(100000, ')'),
                                  std::string(100000, '!') + "true"}) {
    auto e = spec::Expr::parse(deep);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.status().message().find("nests more than"), std::string::npos)
        << e.status().message();
  }
  std::string chain = "false";
  for (int i = 0; i < 100000; ++i) chain += " || false";
  auto long_chain = spec::Expr::parse(chain);
  ASSERT_FALSE(long_chain.ok());
  EXPECT_NE(long_chain.status().message().find("nests more than"), std::string::npos);

  std::string sane = "true";
  for (int i = 0; i < 50; ++i) sane = "(" + sane + " && !false)";
  auto ok = spec::Expr::parse(sane);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  auto v = ok->evaluate([](const spec::Ref&) -> Result<Json> { return Json(nullptr); });
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(*v);
}

}  // namespace
}  // namespace slipway
