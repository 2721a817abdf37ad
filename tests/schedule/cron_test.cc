// Recurring runs' schedules: cron expressions, intervals, and the ticks due after a pause.
#include "schedule/cron.h"

#include <gtest/gtest.h>

namespace slipway {
namespace {

// 2026-11-23T00:00:00Z, a Monday.
constexpr std::int64_t kMonday = 1795392000;

std::int64_t at(int day, int hour, int minute) {
  return kMonday + day * 86400 + hour * 3600 + minute * 60;
}

TEST(Cron, FindsTheNextMatchingMinute) {
  auto every_15 = schedule::parse_cron("*/15 * * * *");
  ASSERT_TRUE(every_15.ok());
  EXPECT_EQ(schedule::next_cron_time(*every_15, at(0, 10, 7)), at(0, 10, 15));
  EXPECT_EQ(schedule::next_cron_time(*every_15, at(0, 10, 15)), at(0, 10, 30)) << "strictly after";
  auto weekdays_9 = schedule::parse_cron("30 9 * * 1-5");
  ASSERT_TRUE(weekdays_9.ok());
  EXPECT_EQ(schedule::next_cron_time(*weekdays_9, at(4, 10, 0)), at(7, 9, 30))
      << "Friday 10:00 -> Monday 09:30";
  auto daily = schedule::parse_cron("@daily");
  ASSERT_TRUE(daily.ok());
  EXPECT_EQ(schedule::next_cron_time(*daily, at(0, 0, 0)), at(1, 0, 0));
  auto first_or_sunday =
      schedule::parse_cron("0 12 1 * 0");  // day 1 or any Sunday, as cron reads both
  ASSERT_TRUE(first_or_sunday.ok());
  EXPECT_EQ(schedule::next_cron_time(*first_or_sunday, at(0, 0, 0)), at(6, 12, 0))
      << "Sunday 2026-11-29 comes before December 1";
  auto sunday7 = schedule::parse_cron("0 0 * * 7");
  ASSERT_TRUE(sunday7.ok());
  EXPECT_EQ(schedule::next_cron_time(*sunday7, at(0, 0, 0)), at(6, 0, 0)) << "7 is Sunday too";
  auto never = schedule::parse_cron("0 0 30 2 *");
  ASSERT_TRUE(never.ok());
  EXPECT_FALSE(schedule::next_cron_time(*never, kMonday).has_value()) << "February 30 never comes";
}

TEST(Cron, RefusesBadExpressionsNamingTheField) {
  struct Case {
    const char* expr;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{{"* * * *", "needs five fields"},
                                         {"60 * * * *", "minute field '60' is outside 0-59"},
                                         {"* 5-2 * * *", "hour field '5-2' is outside"},
                                         {"* * 0 * *", "day-of-month field '0'"},
                                         {"* * * 13 *", "month field '13'"},
                                         {"*/0 * * * *", "step that is not a positive number"},
                                         {"* * * * mon", "day-of-week field 'mon'"}}) {
    auto s = schedule::parse_cron(c.expr);
    ASSERT_FALSE(s.ok()) << c.expr;
    EXPECT_NE(s.status().message().find(c.expected), std::string::npos) << s.status().message();
  }
}

TEST(Schedule, FiresOnlyTheLatestMissedTickWithoutCatchUp) {
  schedule::Trigger hourly{*schedule::parse_cron("0 * * * *"), 0, kMonday};
  // Last fired at 10:00; the scheduler was down until 13:20.
  EXPECT_EQ(schedule::due_ticks(hourly, at(0, 10, 0), at(0, 13, 20), /*catch_up=*/false, 10),
            (std::vector<std::int64_t>{at(0, 13, 0)}));
  EXPECT_EQ(schedule::due_ticks(hourly, at(0, 10, 0), at(0, 13, 20), /*catch_up=*/true, 10),
            (std::vector<std::int64_t>{at(0, 11, 0), at(0, 12, 0), at(0, 13, 0)}));
  EXPECT_EQ(schedule::due_ticks(hourly, at(0, 10, 0), at(0, 13, 20), true, 2),
            (std::vector<std::int64_t>{at(0, 11, 0), at(0, 12, 0)}))
      << "at most limit";
  EXPECT_TRUE(schedule::due_ticks(hourly, at(0, 13, 0), at(0, 13, 20), true, 10).empty())
      << "nothing new since the last tick";
}

TEST(Schedule, IntervalsCountFromTheirStart) {
  schedule::Trigger every_10m{std::nullopt, 600, at(0, 9, 5)};
  EXPECT_TRUE(schedule::due_ticks(every_10m, 0, at(0, 9, 0), true, 10).empty())
      << "not started yet";
  EXPECT_EQ(schedule::due_ticks(every_10m, 0, at(0, 9, 5), true, 10),
            (std::vector<std::int64_t>{at(0, 9, 5)}))
      << "the start is the first tick";
  EXPECT_EQ(schedule::due_ticks(every_10m, at(0, 9, 5), at(0, 9, 40), true, 10),
            (std::vector<std::int64_t>{at(0, 9, 15), at(0, 9, 25), at(0, 9, 35)}));
  EXPECT_EQ(schedule::due_ticks(every_10m, at(0, 9, 5), at(30, 9, 40), false, 10),
            (std::vector<std::int64_t>{at(30, 9, 35)}))
      << "a month down: one run";
}

}  // namespace
}  // namespace slipway
