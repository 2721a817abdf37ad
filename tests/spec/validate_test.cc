#include "spec/validate.h"

#include <gtest/gtest.h>

#include "spec/native_parser.h"

namespace slipway {
namespace {

std::string errors_of(const std::string& yaml) {
  spec::ParseOutcome out = spec::parse_native_pipeline(yaml, "p.yaml", "/tmp");
  if (out.spec) spec::validate_pipeline(*out.spec, &out.diagnostics);
  return out.diagnostics.to_string();
}

const char* kComponents = R"(name: x
params:
  n: {type: int, default: 1}
  s: {type: string}
components:
  make:
    command: [sh, -c, "echo 1 > {{outputs.v}}; echo hi > {{outputs.d}}"]
    outputs: {v: int, d: Dataset}
  use:
    command: [cat, "{{inputs.d}}"]
    inputs: {d: Dataset, k: {type: int, default: 0}}
)";

TEST(Validate, CycleIsNamedInOrder) {
  std::string e = errors_of(std::string(kComponents) + R"(tasks:
  a: {component: make, after: [c]}
  b: {component: make, after: [a]}
  c: {component: make, after: [b]}
)");
  EXPECT_NE(e.find("dependency cycle: "), std::string::npos) << e;
  EXPECT_TRUE(e.find("a -> b -> c -> a") != std::string::npos ||
              e.find("b -> c -> a -> b") != std::string::npos ||
              e.find("c -> a -> b -> c") != std::string::npos)
      << e;
}

TEST(Validate, UndefinedReferencesSuggestNames) {
  std::string e = errors_of(std::string(kComponents) + R"(tasks:
  maker: {component: make}
  user:
    component: use
    inputs: {d: "{{tasks.makr.outputs.d}}"}
  user2:
    component: usr
  user3:
    component: use
    inputs: {d: "{{tasks.maker.outputs.dd}}", kk: 1}
)");
  EXPECT_NE(e.find("no task 'makr' (did you mean 'maker'?)"), std::string::npos) << e;
  EXPECT_NE(e.find("uses component 'usr', which is not defined (did you mean 'use'?)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("has no output 'dd' (did you mean 'd'?)"), std::string::npos) << e;
  EXPECT_NE(e.find("has no input 'kk' (did you mean 'k'?)"), std::string::npos) << e;
}

TEST(Validate, TypeMismatches) {
  std::string e = errors_of(std::string(kComponents) + R"(tasks:
  maker: {component: make}
  user:
    component: use
    inputs: {d: "{{tasks.maker.outputs.v}}", k: "seven"}
)");
  EXPECT_NE(e.find("input 'd' is a Dataset, but {{tasks.maker.outputs.v}} is a int"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("input 'k': expected a int, got \"seven\""), std::string::npos) << e;
}

TEST(Validate, MissingRequiredInput) {
  std::string e = errors_of(std::string(kComponents) + "tasks:\n  user: {component: use}\n");
  EXPECT_NE(e.find("does not set required input 'd' (Dataset)"), std::string::npos) << e;
}

TEST(Validate, ItemOutsideFanOutAndStatusOutsideFinally) {
  std::string e = errors_of(std::string(kComponents) + R"(tasks:
  maker: {component: make}
  user:
    component: use
    inputs: {d: "{{item}}", k: "{{run.status}}"}
)");
  EXPECT_NE(e.find("has no for_each, so there is no item"), std::string::npos) << e;
  EXPECT_NE(e.find("{{run.status}} is known only to finally tasks"), std::string::npos) << e;
}

TEST(Validate, ResolveParamsChecksNamesAndTypes) {
  spec::ParseOutcome out = spec::parse_native_pipeline(
      std::string(kComponents) + "tasks:\n  m: {component: make}\n", "p.yaml", "/tmp");
  ASSERT_TRUE(out.spec);
  auto missing = spec::resolve_params(*out.spec, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(
      missing.status().message().find("missing required parameter 's' (string): pass -p s=VALUE"),
      std::string::npos);
  auto bad = spec::resolve_params(*out.spec, {{"s", "a"}, {"n", "x"}, {"m", "1"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("-p n=x: expected a int"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("no parameter 'm' (did you mean 'n'?)"), std::string::npos);
  auto good = spec::resolve_params(*out.spec, {{"s", "a"}, {"n", "5"}});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->at("n"), 5);
  EXPECT_EQ(good->at("s"), "a");
}

TEST(Validate, IrisPipelineIsValid) {
  spec::ParseOutcome out = spec::parse_native_pipeline_file(std::string(SLIPWAY_SOURCE_DIR) +
                                                            "/configs/pipelines/iris.yaml");
  ASSERT_TRUE(out.spec);
  spec::validate_pipeline(*out.spec, &out.diagnostics);
  EXPECT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  auto deps = spec::task_dependencies(*out.spec->task("evaluate"));
  EXPECT_EQ(deps, (std::vector<std::string>{"train", "validate"}));
}

}  // namespace
}  // namespace slipway
