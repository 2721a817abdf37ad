// Engine semantics with the real local backend and a real store in a temporary directory.
#include "dag/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "backends/local/local_backend.h"
#include "core/clock.h"
#include "tests/dag/engine_fixture.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;

TEST_F(EngineTest, ConditionsSkipAndRun) {
  std::string state = run(R"(name: cond
params: {threshold: {type: float, default: 0.5}}
components:
  emit:
    command: [sh, -c, "echo 0.7 > {{outputs.score}}"]
    outputs: {score: float}
  ok: {command: ["true"]}
tasks:
  score: {component: emit}
  high: {component: ok, when: "{{tasks.score.outputs.score}} > {{params.threshold}}"}
  low: {component: ok, when: "{{tasks.score.outputs.score}} <= {{params.threshold}}"}
  after_low: {component: ok, after: [low]}
)");
  EXPECT_EQ(state, "SUCCEEDED");
  EXPECT_EQ(task("score").outputs["score"], 0.7);
  EXPECT_EQ(task("high").state, "SUCCEEDED");
  EXPECT_EQ(task("low").state, "SKIPPED");
  EXPECT_EQ(task("after_low").state, "SKIPPED");
}

TEST_F(EngineTest, FanOutRespectsParallelismAndFansIn) {
  // Each item records its start and end time; no more than 2 may overlap.
  std::string state = run(R"(name: fan
params: {items: {type: list, default: [1, 2, 3, 4, 5, 6]}}
components:
  square:
    command: [sh, -c, "date +%s%N > {{outputs.start}}.t; sleep 0.2; echo $(({{inputs.x}} * {{inputs.x}})) > {{outputs.sq}}; date +%s%N >> {{outputs.start}}.t; cp {{outputs.start}}.t {{outputs.start}}"]
    inputs: {x: int}
    outputs: {sq: int, start: Artifact}
  sum:
    command: [sh, -c, "echo '{{inputs.values}}' | tr -d '[] ' | tr ',' '\\n' | awk '{s+=$1} END {print s}' > {{outputs.total}}"]
    inputs: {values: list}
    outputs: {total: int}
tasks:
  sq:
    component: square
    for_each: "{{params.items}}"
    parallelism: 2
    inputs: {x: "{{item}}"}
  total:
    component: sum
    inputs: {values: "{{tasks.sq.outputs.sq}}"}
)");
  ASSERT_EQ(state, "SUCCEEDED");
  EXPECT_EQ(task("sq").outputs["sq"], Json({1, 4, 9, 16, 25, 36}));
  EXPECT_EQ(task("total").outputs["total"], 91);
  int most = max_overlap(spans("sq", 6, "start"));
  EXPECT_LE(most, 2);
  EXPECT_GE(most, 2);  // and parallelism was used
}

TEST_F(EngineTest, TasksOfOneLoopPairUpItemByItem) {
  std::string state = run(R"(name: loop
params: {items: {type: list, default: [1, 2, 3]}}
components:
  double: {command: [sh, -c, "echo $(({{inputs.x}} * 2)) > {{outputs.y}}"], inputs: {x: int}, outputs: {y: int}}
  add: {command: [sh, -c, "echo $(({{inputs.a}} + {{inputs.b}})) > {{outputs.y}}"], inputs: {a: int, b: int}, outputs: {y: int}}
  sum:
    command: [sh, -c, "echo '{{inputs.v}}' | tr -d '[] ' | tr ',' '\\n' | awk '{s+=$1} END {print s}' > {{outputs.y}}"]
    inputs: {v: list}
    outputs: {y: int}
tasks:
  d: {component: double, for_each: "{{params.items}}", loop: body, inputs: {x: "{{item}}"}}
  a:
    component: add
    for_each: "{{params.items}}"
    loop: body
    when: "{{item}} != 2"
    inputs: {a: "{{item}}", b: "{{tasks.d.outputs.y}}"}
  total: {component: sum, inputs: {v: "{{tasks.d.outputs.y}}"}}
)");
  ASSERT_EQ(state, "SUCCEEDED");
  // Each iteration of `a` read its own iteration of `d`; the condition skipped one item only,
  // which has nothing to collect.
  EXPECT_EQ(task("a").outputs["y"], Json({3, 9}));
  EXPECT_EQ(task("a[1]").state, "SKIPPED");
  EXPECT_EQ(task("total").outputs["y"], 12);  // outside the loop: the whole list
}

TEST_F(EngineTest, ExitHandlerRunsAfterFailureAndSeesStatus) {
  std::string state = run(R"(name: fail
components:
  bad: {command: [sh, -c, "echo boom >&2; exit 3"]}
  ok: {command: ["true"]}
  report:
    command: [sh, -c, "echo {{inputs.status}} > {{outputs.seen}}"]
    inputs: {status: string}
    outputs: {seen: string}
tasks:
  first: {component: bad}
  second: {component: ok, after: [first]}
finally:
  cleanup:
    component: report
    inputs: {status: "{{run.status}}"}
)");
  EXPECT_EQ(state, "FAILED");
  EXPECT_EQ(task("first").state, "FAILED");
  EXPECT_NE(task("first").message.find("exited with code 3"), std::string::npos);
  EXPECT_EQ(task("second").state, "UPSTREAM_FAILED");
  EXPECT_EQ(task("cleanup").state, "SUCCEEDED");
  EXPECT_EQ(task("cleanup").outputs["seen"], "FAILED");
}

TEST_F(EngineTest, IgnoreUpstreamFailureRunsWithTheDefault) {
  // KFP's ignore_upstream_failure(): the reader runs after its failed producer, and the input it
  // would have read from it takes the input's default.
  std::string state = run(R"(name: ignore
components:
  bad:
    command: [sh, -c, "exit 3"]
    outputs: {out: string}
  show:
    command: [sh, -c, "echo got-{{inputs.msg}} > {{outputs.seen}}"]
    inputs: {msg: {type: string, default: fallback}}
    outputs: {seen: string}
tasks:
  producer: {component: bad}
  reader: {component: show, inputs: {msg: "{{tasks.producer.outputs.out}}"}, ignore_upstream_failure: true}
  strict: {component: show, inputs: {msg: "{{tasks.producer.outputs.out}}"}}
)");
  EXPECT_EQ(state, "FAILED");
  EXPECT_EQ(task("reader").state, "SUCCEEDED");
  EXPECT_EQ(task("reader").outputs["seen"], "got-fallback");
  EXPECT_EQ(task("strict").state, "UPSTREAM_FAILED");
}

TEST_F(EngineTest, OneOfReadsTheBranchThatRan) {
  // dsl.OneOf: {{a | b}} is the output of whichever task succeeded; the reader is not skipped
  // because the other branch was.
  std::string state = run(R"(name: oneof
params: {pick: {type: string, default: b}}
components:
  emit:
    command: [sh, -c, "echo {{inputs.v}} > {{outputs.out}}"]
    inputs: {v: string}
    outputs: {out: string}
tasks:
  a: {component: emit, inputs: {v: from-a}, when: "{{params.pick}} == 'a'"}
  b: {component: emit, inputs: {v: from-b}, when: "{{params.pick}} == 'b'"}
  reader: {component: emit, inputs: {v: "{{tasks.a.outputs.out | tasks.b.outputs.out}}"}}
)");
  EXPECT_EQ(state, "SUCCEEDED");
  EXPECT_EQ(task("a").state, "SKIPPED");
  EXPECT_EQ(task("reader").outputs["out"], "from-b");
}

TEST_F(EngineTest, RetriesWithExponentialBackoff) {
  // Fails twice, then succeeds; the counter lives in a file beside the run.
  std::string counter = (home_ / "count").string();
  std::string state = run(R"(name: flaky
components:
  flaky:
    command: [sh, -c, "n=$(cat )" +
                          counter + R"( 2>/dev/null || echo 0); n=$((n+1)); echo $n > )" + counter +
                          R"(; [ $n -ge 3 ]"]
tasks:
  t:
    component: flaky
    retry: {limit: 3, backoff: 200ms, factor: 2}
)");
  EXPECT_EQ(state, "SUCCEEDED");
  auto attempts = store_->list_attempts(run_id_, "t");
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].state, "FAILED");
  EXPECT_EQ(attempts[1].state, "FAILED");
  EXPECT_EQ(attempts[2].state, "SUCCEEDED");
  // The gaps between attempts follow the backoff: >= 200 ms, then >= 400 ms.
  EXPECT_GE(attempts[1].started_ms - attempts[0].finished_ms, 190);
  EXPECT_GE(attempts[2].started_ms - attempts[1].finished_ms, 390);
  EXPECT_EQ(task("t").attempts, 3);
}

TEST_F(EngineTest, RetriesStopAtTheLimit) {
  std::string state = run(R"(name: always
components:
  bad: {command: ["false"]}
tasks:
  t: {component: bad, retry: {limit: 2, backoff: 10ms}}
)");
  EXPECT_EQ(state, "FAILED");
  EXPECT_EQ(store_->list_attempts(run_id_, "t").size(), 3u);
}

TEST_F(EngineTest, TimeoutStopsTheTaskAndItsChildren) {
  std::string marker = (home_ / "child-alive").string();
  auto t0 = std::chrono::steady_clock::now();
  std::string state = run(R"(name: slow
components:
  slow: {command: [sh, -c, "(sleep 30; touch )" +
                          marker + R"() & sleep 30"]}
tasks:
  t: {component: slow, timeout: 300ms}
)");
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(state, "FAILED");
  auto attempts = store_->list_attempts(run_id_, "t");
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].state, "TIMEOUT");
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_NE(task("t").message.find("timed out after 300ms"), std::string::npos);
}

TEST_F(EngineTest, CancelStopsRunningAndPendingTasks) {
  std::int64_t start = now_ms();
  bool asked = false;
  std::string state = run(R"(name: cancel
components:
  slow: {command: [sleep, "30"]}
  ok: {command: ["true"]}
tasks:
  a: {component: slow}
  b: {component: ok, after: [a]}
)",
                          {}, {4000, 0, 0}, [&](dag::Engine& e) {
                            if (!asked && now_ms() - start > 300) {
                              asked = true;
                              e.request_cancel();
                            }
                          });
  EXPECT_EQ(state, "CANCELLED");
  EXPECT_EQ(task("a").state, "CANCELLED");
  EXPECT_EQ(task("b").state, "CANCELLED");
  EXPECT_LT(now_ms() - start, 10'000);
}

TEST_F(EngineTest, ResourceAccountingNeverOversubscribes) {
  // 4 tasks of 1 CPU each on a 2-CPU capacity: at most 2 at a time.
  std::string state = run(R"(name: res
params: {items: {type: list, default: [1, 2, 3, 4]}}
components:
  busy:
    command: [sh, -c, "date +%s%N > {{outputs.t}}; sleep 0.2; date +%s%N >> {{outputs.t}}"]
    outputs: {t: Artifact}
tasks:
  t: {component: busy, for_each: "{{params.items}}", resources: {cpus: 1}}
)",
                          {}, {2000, 0, 0});
  ASSERT_EQ(state, "SUCCEEDED");
  EXPECT_LE(max_overlap(spans("t", 4, "t")), 2);
}

TEST_F(EngineTest, MissingOutputFailsWithAClearMessage) {
  std::string state = run(R"(name: out
components:
  lazy:
    command: ["true"]
    outputs: {model: Model}
tasks:
  t: {component: lazy}
)");
  EXPECT_EQ(state, "FAILED");
  EXPECT_NE(task("t").message.find("did not write its output artifact 'model'"), std::string::npos);
}

TEST_F(EngineTest, CacheHitsOnSameInputsAndMissesOnChangedFile) {
  std::string data = (home_ / "in.txt").string();
  { std::ofstream(data) << "v1\n"; }
  std::string yaml = R"(name: cache
components:
  copy:
    command: [cp, "{{inputs.src}}", "{{outputs.dst}}"]
    inputs: {src: Dataset}
    outputs: {dst: Dataset}
tasks:
  c: {component: copy, inputs: {src: ")" +
                     data + R"("}}
)";
  ASSERT_EQ(run(yaml), "SUCCEEDED");
  EXPECT_FALSE(task("c").cached);
  ASSERT_EQ(run(yaml), "SUCCEEDED");
  EXPECT_TRUE(task("c").cached);
  EXPECT_EQ(task("c").attempts, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  { std::ofstream(data) << "v2\n"; }
  ASSERT_EQ(run(yaml), "SUCCEEDED");
  EXPECT_FALSE(task("c").cached) << "a changed input file must miss the cache";
  dag::EngineOptions no_cache;
  no_cache.no_cache = true;
  ASSERT_EQ(run(yaml, no_cache), "SUCCEEDED");
  EXPECT_FALSE(task("c").cached);
}

TEST_F(EngineTest, GpusAreAssignedByIndexAndNeverShared) {
  // A machine declared with 2 GPUs; 4 tasks of 1 GPU each: each sees one device, two at a time.
  std::string state = run(R"(name: gpus
params: {items: {type: list, default: [1, 2, 3, 4]}}
components:
  gpu:
    command: [sh, -c, "echo $CUDA_VISIBLE_DEVICES > {{outputs.dev}}; date +%s%N > {{outputs.t}}; sleep 0.2; date +%s%N >> {{outputs.t}}"]
    outputs: {dev: string, t: Artifact}
tasks:
  g: {component: gpu, for_each: "{{params.items}}", resources: {cpus: 100m, gpus: 1}, cache: false}
)",
                          {}, {4000, 0, 2});
  ASSERT_EQ(state, "SUCCEEDED");
  std::vector<std::string> devs;
  for (int i = 0; i < 4; ++i) {
    devs.push_back(task("g[" + std::to_string(i) + "]").outputs["dev"].get<std::string>());
    EXPECT_TRUE(devs.back() == "0" || devs.back() == "1") << devs.back();
  }
  // Tasks that overlapped in time held different devices.
  auto t = spans("g", 4, "t");
  for (size_t i = 0; i < t.size(); ++i) {
    for (size_t j = i + 1; j < t.size(); ++j) {
      if (t[i].first < t[j].second && t[j].first < t[i].second) {
        EXPECT_NE(devs[i], devs[j]) << "items " << i << " and " << j << " shared a GPU";
      }
    }
  }
}

}  // namespace
}  // namespace slipway
