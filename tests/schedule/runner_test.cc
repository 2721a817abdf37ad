// The recurring-run scheduler over a real store with an injected clock: ticks fire runs, max
// concurrency holds ticks back until a run finishes, and after a restart (a new runner over the
// same store, later) missed ticks follow the schedule's catch-up setting.
#include "schedule/runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "core/clock.h"
#include "store/fault_vfs.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kT0 = 1795392000000;  // 2026-11-23T00:00:00Z, in ms

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("slipway-runner-" + random_hex(8));
    store_ = std::move(*store::Store::open(home_));
  }
  void TearDown() override { fs::remove_all(home_); }

  store::ScheduleRecord schedule(const std::string& id, std::int64_t interval_s,
                                 int max_concurrency, bool catch_up) {
    store::ScheduleRecord s;
    s.id = id;
    s.name = id;
    s.pipeline_file = "p.yaml";
    s.source = "name: p";
    s.interval_s = interval_s;
    s.start_ms = kT0;
    s.created_ms = kT0;
    s.max_concurrency = max_concurrency;
    s.catch_up = catch_up;
    EXPECT_TRUE(store_->insert_schedule(s).ok());
    return s;
  }

  // Records each launch as a PENDING run of the schedule, as the server's launcher would.
  schedule::LaunchRun launcher() {
    return [this](store::Store& st, const store::ScheduleRecord& s,
                  std::int64_t tick_ms) -> Result<store::RunRecord> {
      store::RunRecord r;
      r.id = s.id + "-" + std::to_string(tick_ms);
      r.pipeline = "p";
      r.state = "PENDING";
      r.created_ms = tick_ms;
      r.schedule_id = s.id;
      r.ns = s.ns;
      SLIPWAY_RETURN_IF_ERROR(st.insert_run(r));
      launched_.push_back(tick_ms);
      return r;
    };
  }

  void finish_all() {
    for (const auto& r : store_->list_runs({}))
      if (r.state == "PENDING") {
        ASSERT_TRUE(store_->set_run_state(r.id, "SUCCEEDED", kT0).ok());
      }
  }

  fs::path home_;
  std::unique_ptr<store::Store> store_;
  std::vector<std::int64_t> launched_;
};

TEST_F(RunnerTest, FiresEachIntervalTickOnce) {
  schedule("s", 60, 10, false);
  schedule::ScheduleRunner runner(*store_, launcher());
  EXPECT_EQ(runner.tick(kT0 - 1000).size(), 0u) << "nothing before the start";
  EXPECT_EQ(runner.tick(kT0).size(), 1u) << "the first tick is the start";
  EXPECT_EQ(runner.tick(kT0 + 30'000).size(), 0u);
  EXPECT_EQ(runner.tick(kT0 + 60'000).size(), 1u);
  EXPECT_EQ(runner.tick(kT0 + 60'500).size(), 0u) << "a tick fires once";
  EXPECT_EQ(launched_, (std::vector<std::int64_t>{kT0, kT0 + 60'000}));
}

TEST_F(RunnerTest, MaxConcurrencyHoldsTicksUntilARunFinishes) {
  schedule("s", 60, 1, false);
  schedule::ScheduleRunner runner(*store_, launcher());
  ASSERT_EQ(runner.tick(kT0).size(), 1u);
  EXPECT_EQ(runner.tick(kT0 + 60'000).size(), 0u) << "one run is active: the tick waits";
  EXPECT_NE(store_->get_schedule("s")->message.find("max_concurrency 1"), std::string::npos)
      << store_->get_schedule("s")->message;
  EXPECT_EQ(runner.tick(kT0 + 150'000).size(), 0u);
  finish_all();
  auto fired = runner.tick(kT0 + 150'000);
  ASSERT_EQ(fired.size(), 1u) << "once it finishes, the latest waiting tick fires";
  EXPECT_EQ(fired[0].tick_ms, kT0 + 120'000);
  EXPECT_EQ(store_->count_active_runs("s"), 1);
}

TEST_F(RunnerTest, AfterARestartWithoutCatchUpOnlyTheLatestMissedTickFires) {
  schedule("s", 60, 100, false);
  {
    schedule::ScheduleRunner before(*store_, launcher());
    ASSERT_EQ(before.tick(kT0).size(), 1u);
  }
  // The server was down for ten minutes; a new one starts over the same store.
  schedule::ScheduleRunner after(*store_, launcher());
  auto fired = after.tick(kT0 + 600'000 + 5'000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].tick_ms, kT0 + 600'000);
  EXPECT_EQ(store_->get_schedule("s")->last_fired_ms, kT0 + 600'000)
      << "persisted, so a third start does not fire it again";
  EXPECT_EQ(schedule::ScheduleRunner(*store_, launcher()).tick(kT0 + 610'000).size(), 0u);
}

TEST_F(RunnerTest, AfterARestartWithCatchUpEveryMissedTickFiresOldestFirstWithinConcurrency) {
  schedule("s", 60, 4, true);
  ASSERT_EQ(schedule::ScheduleRunner(*store_, launcher()).tick(kT0).size(), 1u);
  schedule::ScheduleRunner after(*store_, launcher());
  auto fired = after.tick(kT0 + 600'000);
  ASSERT_EQ(fired.size(), 3u) << "4 slots, one taken by the run still active";
  EXPECT_EQ(fired[0].tick_ms, kT0 + 60'000);
  EXPECT_EQ(fired[2].tick_ms, kT0 + 180'000);
  finish_all();
  size_t total = 4;
  for (int i = 0; i < 5; ++i) {
    total += after.tick(kT0 + 600'000).size();
    finish_all();
  }
  EXPECT_EQ(total, 11u) << "ticks 0..10 minutes, each exactly once";
}

TEST_F(RunnerTest, DisabledAndBrokenSchedulesDoNotFire) {
  schedule("off", 60, 1, false);
  ASSERT_TRUE(store_->set_schedule_enabled("off", false).ok());
  store::ScheduleRecord bad = schedule("bad", 0, 1, false);
  schedule::ScheduleRunner runner(*store_, launcher());
  EXPECT_EQ(runner.tick(kT0 + 3'600'000).size(), 0u);
  EXPECT_NE(store_->get_schedule("bad")->message.find("neither a cron expression nor an interval"),
            std::string::npos);
}

TEST_F(RunnerTest, ALaunchThatFailsIsRecordedAndNotRetriedEveryTick) {
  schedule("s", 60, 1, false);
  schedule::ScheduleRunner runner(
      *store_,
      [](store::Store&, const store::ScheduleRecord&, std::int64_t) -> Result<store::RunRecord> {
        return InvalidInput("params: x is unknown");
      });
  auto fired = runner.tick(kT0);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].run_id, "");
  EXPECT_NE(store_->get_schedule("s")->message.find("x is unknown"), std::string::npos);
  EXPECT_EQ(runner.tick(kT0 + 1000).size(), 0u);
}

// The store fails at each write in turn (store/fault_vfs.h), once or from then on, while a tick
// fires a catch-up schedule's three due ticks; then it heals and the runner ticks again. Whatever
// the failure hit, each tick has exactly one run, and last_fired is the latest tick.
TEST_F(RunnerTest, AStoreThatFailsNeverFiresATickTwiceNorLosesOne) {
  ASSERT_TRUE(store::faults::arm("").ok());
  int stopped = 0;
  for (int n = 1; n <= 40; ++n) {
    for (const char* sticky : {"", "+"}) {
      SCOPED_TRACE("writes from #" + std::to_string(n) + sticky + " fail");
      store_.reset();
      fs::remove_all(home_);
      store_ = std::move(*store::Store::open(home_));
      store_->db().set_busy_timeout(20);
      schedule("s", 60, 10, true);
      schedule::ScheduleRunner runner(*store_, launcher());
      ASSERT_TRUE(store::faults::arm("write@" + std::to_string(n) + sticky).ok());
      auto first = runner.tick(kT0 + 120'000);  // ticks kT0, +60 s and +120 s are due
      store::faults::disarm();
      stopped += !runner.last_error().ok();
      auto second = runner.tick(kT0 + 120'000);
      EXPECT_TRUE(runner.last_error().ok()) << runner.last_error().message();
      EXPECT_EQ(first.size() + second.size(), 3u);
      std::map<std::int64_t, int> runs;
      for (const auto& r : store_->list_runs({})) ++runs[r.created_ms];
      EXPECT_EQ(runs,
                (std::map<std::int64_t, int>{{kT0, 1}, {kT0 + 60'000, 1}, {kT0 + 120'000, 1}}));
      EXPECT_EQ(store_->get_schedule("s")->last_fired_ms, kT0 + 120'000);
    }
  }
  EXPECT_GT(stopped, 20) << "the faults should have stopped most first ticks";
}

}  // namespace
}  // namespace slipway
