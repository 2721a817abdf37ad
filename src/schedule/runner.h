// Fires recurring runs. Each tick looks at every enabled schedule in the store, works out which of
// its ticks are due (schedule/cron.h: cron or interval, with or without catch-up), and starts one
// run per due tick while fewer than max_concurrency of the schedule's runs are active. A tick that
// finds the schedule full stays due, so it fires when a run finishes (with catch-up every such tick
// does; without, only the latest). last_fired is committed with each run, so a server killed
// between ticks neither loses nor repeats one.
//
// The clock is the caller's: tick(now_ms) is a pure step over the store, which is what the tests
// drive with an injected time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "schedule/cron.h"
#include "store/store.h"

namespace slipway::schedule {

struct Fired {
  std::string schedule_id;
  std::int64_t tick_ms = 0;
  std::string run_id;  // "" when the run could not be created (the schedule's message says why)
};

// Creates and starts the run of one tick; the server's launches a driver, tests may only record.
using LaunchRun = std::function<Result<store::RunRecord>(
    store::Store& store, const store::ScheduleRecord& s, std::int64_t tick_ms)>;

// The schedule's trigger; InvalidInput names what is wrong with its cron or interval.
Result<Trigger> trigger_of(const store::ScheduleRecord& s);

class ScheduleRunner {
 public:
  ScheduleRunner(store::Store& store, LaunchRun launch)
      : store_(store), launch_(std::move(launch)) {}
  // Fires what is due at now_ms. A store that fails part-way stops the schedule's ticks for this
  // call (they stay due, and fire on a later call, never twice); last_error() then says why.
  std::vector<Fired> tick(std::int64_t now_ms);
  const Status& last_error() const { return last_error_.status(); }

 private:
  store::Store& store_;
  FirstError last_error_;
  LaunchRun launch_;
};

}  // namespace slipway::schedule
