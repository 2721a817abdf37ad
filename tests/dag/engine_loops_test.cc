// Loops as KFP runs them: nested loops with collected outputs as nested lists, each iteration's
// chain going on without waiting for other iterations, a failed iteration failing only its own
// chain, and parallelism counting whole iterations. (Steps with the same inputs would be cached
// from one another; those that time themselves turn caching off.)
#include <gtest/gtest.h>

#include "tests/dag/engine_fixture.h"

namespace slipway {
namespace {

TEST_F(EngineTest, NestedLoopsCollectNestedLists) {
  std::string state = run(R"(name: nested
components:
  mul:
    command: [sh, -c, "echo $(({{inputs.a}} * {{inputs.b}})) > {{outputs.y}}"]
    inputs: {a: int, b: int}
    outputs: {y: int}
  sum:
    command: [sh, -c, "echo '{{inputs.v}}' | tr -d '[] ' | tr ',' '\\n' | awk '{s+=$1} END {print s}' > {{outputs.y}}"]
    inputs: {v: list}
    outputs: {y: int}
tasks:
  cell:
    component: mul
    outer_loops: [{loop: rows, for_each: [1, 2, 3]}]
    for_each: [10, 20]
    loop: cols
    inputs: {a: "{{loops.rows.item}}", b: "{{item}}"}
  row_total:
    component: sum
    for_each: [1, 2, 3]
    loop: rows
    inputs: {v: "{{tasks.cell.outputs.y}}"}
  grid: {component: sum, inputs: {v: "{{tasks.cell.outputs.y}}"}}
)");
  ASSERT_EQ(state, "SUCCEEDED");
  EXPECT_EQ(task("cell[1][0]").outputs["y"], 20);
  // Inside the outer loop a reader sees its row's list; outside both, the list of lists.
  EXPECT_EQ(task("cell").outputs["y"], Json::parse("[[10, 20], [20, 40], [30, 60]]"));
  EXPECT_EQ(task("row_total").outputs["y"], Json({30, 60, 90}));
  EXPECT_EQ(task("grid").outputs["y"], 180);
}

TEST_F(EngineTest, AnIterationGoesOnWithoutWaitingForTheOthers) {
  // Item 0 is quick and item 2 slow: the reader's iteration 0 must end before the producer's
  // iteration 2 does, as each iteration is its own chain.
  std::string state = run(R"(name: chains
components:
  nap:
    command: [sh, -c, "sleep {{inputs.s}}; echo {{inputs.s}} > {{outputs.y}}"]
    inputs: {s: float}
    outputs: {y: float}
tasks:
  slow: {component: nap, for_each: [0.05, 0.1, 2.5], loop: body, inputs: {s: "{{item}}"}}
  next: {component: nap, for_each: [0.05, 0.1, 2.5], loop: body, inputs: {s: 0}, after: [slow], cache: false}
)");
  ASSERT_EQ(state, "SUCCEEDED");
  EXPECT_LT(task("next[0]").finished_ms, task("slow[2]").finished_ms);
  EXPECT_GE(task("next[2]").started_ms, task("slow[2]").finished_ms);
}

TEST_F(EngineTest, AFailedIterationFailsOnlyItsChain) {
  std::string state = run(R"(name: partial
components:
  check:
    command: [sh, -c, "[ {{inputs.x}} -ne 2 ] && echo {{inputs.x}} > {{outputs.y}}"]
    inputs: {x: int}
    outputs: {y: int}
  show:
    command: [sh, -c, "echo '{{inputs.v}}' > {{outputs.y}}"]
    inputs: {v: string}
    outputs: {y: string}
tasks:
  a: {component: check, for_each: [1, 2, 3], loop: body, inputs: {x: "{{item}}"}}
  b: {component: check, for_each: [1, 2, 3], loop: body, inputs: {x: "{{tasks.a.outputs.y}}"}}
  after_loop: {component: show, inputs: {v: "{{tasks.b.outputs.y}}"}}
  tolerant: {component: show, inputs: {v: "ran"}, after: [b], ignore_upstream_failure: true}
)");
  EXPECT_EQ(state, "FAILED");
  EXPECT_EQ(task("a[1]").state, "FAILED");
  EXPECT_EQ(task("b[1]").state, "UPSTREAM_FAILED");
  // The other iterations ran to their end.
  for (const char* t : {"a[0]", "a[2]", "b[0]", "b[2]"}) EXPECT_EQ(task(t).state, "SUCCEEDED") << t;
  EXPECT_EQ(task("b[2]").outputs["y"], 3);
  // The loop ends FAILED once every iteration has ended; what reads it does not run, unless it
  // ignores upstream failures.
  EXPECT_EQ(task("b").state, "FAILED");
  EXPECT_NE(task("b").message.find("1 of 3 items did not succeed"), std::string::npos)
      << task("b").message;
  EXPECT_EQ(task("after_loop").state, "UPSTREAM_FAILED");
  EXPECT_EQ(task("tolerant").state, "SUCCEEDED");
}

TEST_F(EngineTest, ParallelismCountsWholeIterations) {
  // Each iteration is a chain of two steps; with parallelism 2 no more than two iterations are
  // under way at once, even when one's first step has ended and its second not started.
  std::string state = run(R"(name: limit
components:
  stamp:
    command: [sh, -c, "date +%s%N > {{outputs.t}}; sleep 0.3"]
    outputs: {t: Artifact}
  stamp_end:
    command: [sh, -c, "sleep 0.3; date +%s%N > {{outputs.t}}"]
    inputs: {after: Artifact}
    outputs: {t: Artifact}
tasks:
  first: {component: stamp, for_each: [1, 2, 3, 4, 5], loop: it, parallelism: 2, cache: false}
  second:
    component: stamp_end
    for_each: [1, 2, 3, 4, 5]
    loop: it
    parallelism: 2
    cache: false
    inputs: {after: "{{tasks.first.outputs.t}}"}
)");
  ASSERT_EQ(state, "SUCCEEDED");
  std::vector<std::pair<long long, long long>> iterations;
  for (int i = 0; i < 5; ++i) {
    auto read = [&](const std::string& name) {
      std::ifstream in(
          task(name + "[" + std::to_string(i) + "]").outputs["t"]["uri"].get<std::string>());
      long long v = 0;
      in >> v;
      return v;
    };
    iterations.push_back({read("first"), read("second")});
  }
  int most = max_overlap(iterations);
  EXPECT_LE(most, 2);
  EXPECT_GE(most, 2);  // and the limit was used
}

TEST_F(EngineTest, OuterLoopParallelismHoldsAcrossItsInnerLoops) {
  // The outer loop runs one iteration at a time, all of its inner loop's items at once.
  std::string state = run(R"(name: outer_limit
components:
  span:
    command: [sh, -c, "date +%s%N > {{outputs.t}}.x; sleep 0.3; date +%s%N >> {{outputs.t}}.x; mv {{outputs.t}}.x {{outputs.t}}"]
    outputs: {t: Artifact}
tasks:
  work:
    component: span
    outer_loops: [{loop: rows, for_each: [1, 2], parallelism: 1}]
    for_each: [1, 2, 3]
    loop: cols
    cache: false
)");
  ASSERT_EQ(state, "SUCCEEDED");
  long long row0_end = 0, row1_start = 1LL << 62;
  for (const auto& [start, end] : spans("work[0]", 3, "t")) row0_end = std::max(row0_end, end);
  for (const auto& [start, end] : spans("work[1]", 3, "t"))
    row1_start = std::min(row1_start, start);
  EXPECT_LE(row0_end, row1_start) << "the second row started before the first had ended";
}

}  // namespace
}  // namespace slipway
