// The engine over a store that fails (store/fault_vfs.h): at points spread over a run's writes,
// that write fails alone (a blip) or with all after it (a full disk). Each time the engine must
// stop with an error that says how to go on (a blip must not turn into a failed task), must never
// have started a task whose RUNNING attempt was not committed, and a resume over the healed store
// must finish the run with each task succeeding exactly once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "backends/local/local_backend.h"
#include "core/clock.h"
#include "dag/engine.h"
#include "store/fault_vfs.h"
#include "tests/dag/native_run.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;

// Every task appends its name to started.txt as its first act, so the test knows what was launched.
// A fan-out and a chain in nested loops are resumed at every point too.
constexpr const char* kPipeline = R"(name: faults
params: {items: {type: list, default: [1, 2, 3]}}
components:
  step:
    command: [sh, -c, "echo $SLIPWAY_TASK >> {{inputs.log}}; echo {{inputs.x}} > {{outputs.out}}"]
    inputs: {log: string, x: int}
    outputs: {out: int}
tasks:
  first: {component: step, inputs: {log: "@LOG@", x: 0}}
  fan:
    component: step
    for_each: "{{params.items}}"
    inputs: {log: "@LOG@", x: "{{item}}"}
  cell:
    component: step
    outer_loops: [{loop: rows, for_each: [1, 2]}]
    for_each: [5, 6]
    loop: cols
    cache: false
    inputs: {log: "@LOG@", x: "{{loops.rows.item}}"}
  cell_next:
    component: step
    outer_loops: [{loop: rows, for_each: [1, 2]}]
    for_each: [5, 6]
    loop: cols
    cache: false
    inputs: {log: "@LOG@", x: "{{tasks.cell.outputs.out}}"}
  last: {component: step, after: [fan, cell_next], inputs: {log: "@LOG@", x: 9}}
finally:
  report: {component: step, inputs: {log: "@LOG@", x: 7}}
)";

class EngineStoreFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("slipway-engine-faults-" + random_hex(8));
    ASSERT_TRUE(store::faults::arm("").ok());
  }
  void TearDown() override {
    store::faults::disarm();
    fs::remove_all(home_);
  }

  // A new run of kPipeline in a new store under `dir`; returns its record.
  store::RunRecord new_run(store::Store& store, const fs::path& dir) {
    std::string yaml = kPipeline;
    const std::string log = (dir / "started.txt").string();
    for (auto at = yaml.find("@LOG@"); at != std::string::npos; at = yaml.find("@LOG@"))
      yaml.replace(at, 5, log);
    store::RunRecord r = insert_native_run(store, yaml, "faults.yaml", dir, &spec_);
    return r;
  }

  Result<std::string> drive(store::Store& store, const store::RunRecord& r) {
    backends::LocalBackend backend(backends::LocalCapacity{4000, 0, 0});
    dag::EngineOptions opts;
    opts.kill_grace_ms = 200;
    dag::Engine engine(store, backend, spec_, r, opts);
    return engine.run();
  }

  static std::map<std::string, int> started(const fs::path& dir) {
    std::map<std::string, int> n;
    std::ifstream in(dir / "started.txt");
    for (std::string line; std::getline(in, line);) ++n[line];
    return n;
  }

  fs::path home_;
  spec::PipelineSpec spec_;
};

TEST_F(EngineStoreFaultsTest, EveryWriteFailingInTurnLosesNothing) {
  // How many writes a whole healthy run makes: the faults below walk through all of them.
  long total = 0;
  {
    fs::path dir = home_ / "healthy";
    auto store = store::Store::open(dir);
    ASSERT_TRUE(store.ok());
    store::RunRecord r = new_run(**store, dir);
    ASSERT_TRUE(store::faults::arm("").ok());
    auto final = drive(**store, r);
    ASSERT_TRUE(final.ok()) << final.status().message();
    ASSERT_EQ(*final, "SUCCEEDED");
    total = store::faults::writes_seen();
  }
  ASSERT_GT(total, 10);
  int failures_seen = 0;
  const long stride = std::max(1L, total / 25);  // about 25 fault points spread over the run
  for (long n = 1; n <= total; n += stride) {
    SCOPED_TRACE("write #" + std::to_string(n) + " of " + std::to_string(total) + " fails");
    fs::path dir = home_ / ("at-" + std::to_string(n));
    auto store = store::Store::open(dir);
    ASSERT_TRUE(store.ok());
    store::RunRecord r = new_run(**store, dir);
    // Every other point fails one write only (a blip); the rest fail from then on (a full disk).
    const bool blip = (n / stride) % 2 == 1;
    ASSERT_TRUE(store::faults::arm("write@" + std::to_string(n) + (blip ? "" : "+")).ok());
    auto final = drive(**store, r);
    store::faults::disarm();
    if (final.ok()) {
      // The fault came after the run's last commit (the process's own closing writes).
      EXPECT_EQ(*final, "SUCCEEDED");
      continue;
    }
    ++failures_seen;
    EXPECT_NE(final.status().message().find("slipway runs resume " + r.id), std::string::npos)
        << final.status().message();

    // Nothing was launched unless its RUNNING attempt is durable: read with a fresh connection.
    auto fresh = store::Store::open(dir);
    ASSERT_TRUE(fresh.ok());
    std::map<std::string, int> attempts;
    for (const auto& a : (*fresh)->list_attempts(r.id)) ++attempts[a.task];
    for (const auto& [task, times] : started(dir))
      EXPECT_GE(attempts[task], times) << task << " was started without a committed attempt";

    // The run is left resumable, and a resume over the healed store finishes it.
    auto left = (*fresh)->get_run(r.id);
    ASSERT_TRUE(left.ok());
    EXPECT_FALSE(left->state == "SUCCEEDED" || left->state == "FAILED") << left->state;
    auto resumed = drive(**fresh, *left);
    ASSERT_TRUE(resumed.ok()) << resumed.status().message();
    EXPECT_EQ(*resumed, "SUCCEEDED");
    std::map<std::string, int> succeeded;
    for (const auto& a : (*fresh)->list_attempts(r.id)) {
      succeeded[a.task] += a.state == "SUCCEEDED";
      EXPECT_TRUE(a.state == "SUCCEEDED" || a.state == "LOST") << a.task << " " << a.state;
    }
    for (const char* t : {"first", "fan[0]", "fan[1]", "fan[2]", "cell[0][0]", "cell[1][1]",
                          "cell_next[0][1]", "cell_next[1][0]", "last", "report"})
      EXPECT_EQ(succeeded[t], 1) << t << " must succeed exactly once";
  }
  EXPECT_GT(failures_seen, 5) << "the faults should have stopped most of the runs";
}

}  // namespace
}  // namespace slipway
