#include "spec/native_parser.h"

#include <gtest/gtest.h>

#include "spec/validate.h"

namespace slipway {
namespace {

spec::Diagnostics parse_and_validate(const std::string& yaml) {
  spec::ParseOutcome out = spec::parse_native_pipeline(yaml, "p.yaml", "/tmp");
  if (out.spec) spec::validate_pipeline(*out.spec, &out.diagnostics);
  return out.diagnostics;
}

const char* kMinimal = R"(
name: demo
params:
  n: {type: int, default: 3}
components:
  echo:
    command: [echo, "{{inputs.msg}}"]
    inputs:
      msg: string
tasks:
  hello:
    component: echo
    inputs:
      msg: "n is {{params.n}}"
)";

TEST(NativeParser, ParsesAMinimalPipeline) {
  spec::ParseOutcome out = spec::parse_native_pipeline(kMinimal, "p.yaml", "/tmp");
  ASSERT_TRUE(out.spec);
  EXPECT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  EXPECT_EQ(out.spec->name, "demo");
  ASSERT_EQ(out.spec->params.size(), 1u);
  EXPECT_EQ(out.spec->params[0].type.param, ParamType::kInt);
  ASSERT_EQ(out.spec->tasks.size(), 1u);
  EXPECT_TRUE(out.spec->tasks[0].inputs.at("msg").is_template);
}

TEST(NativeParser, UnknownKeyHasLocationAndSuggestion) {
  auto d = parse_and_validate(R"(name: x
components:
  c: {command: [true]}
tasks:
  t:
    component: c
    retyr: 3
)");
  ASSERT_TRUE(d.has_errors());
  std::string s = d.to_string();
  EXPECT_NE(s.find("p.yaml:7:5: error: unknown key 'retyr'"), std::string::npos) << s;
  EXPECT_NE(s.find("did you mean 'retry'"), std::string::npos) << s;
}

TEST(NativeParser, InvalidYamlReportsLineAndColumn) {
  auto d = parse_and_validate("name: x\ntasks:\n  t: [unclosed\n");
  ASSERT_TRUE(d.has_errors());
  EXPECT_NE(d.to_string().find("p.yaml:4:"), std::string::npos) << d.to_string();
  EXPECT_NE(d.to_string().find("not valid YAML"), std::string::npos);
}

TEST(NativeParser, DuplicateTaskNamesAreErrors) {
  auto d = parse_and_validate(R"(name: x
components:
  c: {command: [true]}
tasks:
  t: {component: c}
  t: {component: c}
)");
  EXPECT_NE(d.to_string().find("duplicate name 't'"), std::string::npos) << d.to_string();
}

TEST(NativeParser, BadDurationAndTypeAndCpus) {
  auto d = parse_and_validate(R"(name: x
components:
  c:
    command: [true]
    inputs:
      a: Datset
tasks:
  t:
    component: c
    timeout: 10 minutes
    resources: {cpus: lots}
)");
  std::string s = d.to_string();
  EXPECT_NE(s.find("unknown type 'Datset' (did you mean 'Dataset'?)"), std::string::npos) << s;
  EXPECT_NE(s.find("'timeout': '10 minutes' is not a duration"), std::string::npos) << s;
  EXPECT_NE(s.find("'lots' is not a CPU count"), std::string::npos) << s;
}

TEST(NativeParser, BadPlaceholderPointsAtItsColumn) {
  auto d = parse_and_validate(R"(name: x
components:
  c: {command: [echo, "{{inputs.m}}"], inputs: {m: string}}
tasks:
  t:
    component: c
    inputs: {m: "ab {{parms.x}}"}
)");
  std::string s = d.to_string();
  EXPECT_NE(s.find("p.yaml:7:21: error: bad placeholder '{{parms.x}}': unknown scope 'parms' (did "
                   "you mean 'params'?)"),
            std::string::npos)
      << s;
}

TEST(NativeParser, RetryAndResourcesAreRead) {
  spec::ParseOutcome out = spec::parse_native_pipeline(R"(name: x
components:
  c: {command: [true]}
tasks:
  t:
    component: c
    retry: {limit: 3, backoff: 250ms, factor: 3, max_backoff: 1s}
    timeout: 1m30s
    cache: false
    resources: {cpus: 500m, memory: 2Gi, gpus: 1, nodes: 2, tasks_per_node: 4, time_limit: 1h, partition: gpu}
)",
                                                       "p.yaml", "/tmp");
  ASSERT_TRUE(out.spec);
  const spec::Task& t = out.spec->tasks[0];
  EXPECT_EQ(t.retry.limit, 3);
  EXPECT_EQ(t.retry.delay_before(2), 250);
  EXPECT_EQ(t.retry.delay_before(3), 750);
  EXPECT_EQ(t.retry.delay_before(4), 1000);  // capped by max_backoff
  EXPECT_EQ(t.timeout_ms, 90'000);
  EXPECT_FALSE(t.cache);
  EXPECT_EQ(t.resources.millicpus, 500);
  EXPECT_EQ(t.resources.memory_bytes, 2LL << 30);
  EXPECT_EQ(t.resources.gpus, 1);
  EXPECT_EQ(t.resources.nodes, 2);
  EXPECT_EQ(t.resources.tasks_per_node, 4);
  EXPECT_EQ(t.resources.time_limit_ms, 3'600'000);
  EXPECT_EQ(t.resources.partition, "gpu");
}

}  // namespace
}  // namespace slipway
