// When recurring runs fire: cron expressions (the five fields minute, hour, day of month, month,
// day of week, with *, lists, ranges and steps, and @hourly/@daily/@weekly/@monthly/@yearly) or
// fixed intervals, in UTC; and which ticks are due after a pause (a restart), with or without
// catching up — KFP's recurring runs' no_catchup. Pure functions of their inputs and the clock
// value they are given, so a schedule can be tested and simulated without waiting.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace slipway::schedule {

struct CronSchedule {
  std::bitset<60> minute;
  std::bitset<24> hour;
  std::bitset<32> day;                      // 1..31
  std::bitset<13> month;                    // 1..12
  std::bitset<7> weekday;                   // 0..6, Sunday 0 (7 is read as Sunday too)
  bool any_day = true, any_weekday = true;  // with both restricted, either may match (as cron does)
};

// An error names the field and what it accepts.
Result<CronSchedule> parse_cron(const std::string& expression);

// The first whole minute strictly after `after` (Unix seconds, UTC) that the schedule matches;
// nullopt when none comes within eight years (e.g. "0 0 30 2 *").
std::optional<std::int64_t> next_cron_time(const CronSchedule& s, std::int64_t after);

struct Trigger {
  std::optional<CronSchedule> cron;  // else every `interval` seconds from `start`
  std::int64_t interval = 0;
  std::int64_t start = 0;
  std::int64_t end = 0;  // no tick after this (0: none)
};

// The trigger's first tick strictly after `after` (not before its start, not after its end).
std::optional<std::int64_t> next_tick(const Trigger& t, std::int64_t after);

// The ticks to fire at `now`, given the last tick fired (0: none yet, counting from the trigger's
// start). Without catch-up only the latest missed tick fires; with it every missed tick does, up
// to `limit`, oldest first.
std::vector<std::int64_t> due_ticks(const Trigger& t, std::int64_t last_fired, std::int64_t now,
                                    bool catch_up, size_t limit);

}  // namespace slipway::schedule
