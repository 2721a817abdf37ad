#include "schedule/cron.h"

#include <ctime>

#include "core/strings.h"

namespace slipway::schedule {

namespace {

// One field: "*", "*/s", "a", "a-b", "a-b/s", "a/s", comma-separated. Values in [lo, hi].
template <size_t N>
Status parse_field(const std::string& text, int lo, int hi, const char* name, std::bitset<N>* out,
                   bool* any) {
  *any = text == "*" || text == "?";
  for (const std::string& part : split(text, ',')) {
    std::string range = part, step_text;
    if (auto slash = part.find('/'); slash != std::string::npos)
      range = part.substr(0, slash), step_text = part.substr(slash + 1);
    int a = lo, b = hi, step = 1;
    auto number = [&](const std::string& s, int* v) {
      if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos)
        return false;
      *v = std::stoi(s);
      return true;
    };
    const std::string why = std::string("the ") + name + " field '" + text + "' ";
    if (!step_text.empty() && (!number(step_text, &step) || step == 0))
      return InvalidInput(why + "has a step that is not a positive number");
    if (range != "*" && range != "?") {
      auto dash = range.find('-');
      if (dash == std::string::npos) {
        if (!number(range, &a))
          return InvalidInput(why + "must be *, a number, a range a-b, a list, or a step /n");
        b = step_text.empty() ? a : hi;
      } else if (!number(range.substr(0, dash), &a) || !number(range.substr(dash + 1), &b)) {
        return InvalidInput(why + "has a range that is not two numbers");
      }
    }
    if (a < lo || b > hi || a > b)
      return InvalidInput(why + "is outside " + std::to_string(lo) + "-" + std::to_string(hi));
    for (int v = a; v <= b; v += step) out->set(static_cast<size_t>(v == 7 && N == 7 ? 0 : v));
  }
  return Status::Ok();
}

}  // namespace

Result<CronSchedule> parse_cron(const std::string& expression) {
  std::string e = trim(expression);
  if (e == "@yearly" || e == "@annually")
    e = "0 0 1 1 *";
  else if (e == "@monthly")
    e = "0 0 1 * *";
  else if (e == "@weekly")
    e = "0 0 * * 0";
  else if (e == "@daily" || e == "@midnight")
    e = "0 0 * * *";
  else if (e == "@hourly")
    e = "0 * * * *";
  std::vector<std::string> f;
  for (const auto& p : split(e, ' '))
    if (!p.empty()) f.push_back(p);
  if (f.size() != 5)
    return InvalidInput("cron expression '" + expression +
                        "' needs five fields: minute hour day-of-month month day-of-week (or "
                        "@hourly, @daily, @weekly, @monthly, @yearly)");
  CronSchedule s;
  bool ignored;
  SLIPWAY_RETURN_IF_ERROR(parse_field(f[0], 0, 59, "minute", &s.minute, &ignored));
  SLIPWAY_RETURN_IF_ERROR(parse_field(f[1], 0, 23, "hour", &s.hour, &ignored));
  SLIPWAY_RETURN_IF_ERROR(parse_field(f[2], 1, 31, "day-of-month", &s.day, &s.any_day));
  SLIPWAY_RETURN_IF_ERROR(parse_field(f[3], 1, 12, "month", &s.month, &ignored));
  SLIPWAY_RETURN_IF_ERROR(parse_field(f[4], 0, 7, "day-of-week", &s.weekday, &s.any_weekday));
  return s;
}

std::optional<std::int64_t> next_cron_time(const CronSchedule& s, std::int64_t after) {
  std::int64_t t = (after / 60 + 1) * 60;  // the next whole minute
  const std::int64_t day_seconds = 86400;
  for (int days = 0; days < 366 * 8 + 2; ++days) {
    const std::int64_t day_start = (t / day_seconds) * day_seconds;
    std::time_t tt = static_cast<std::time_t>(day_start);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    const bool day_ok = s.day.test(static_cast<size_t>(tm.tm_mday)),
               weekday_ok = s.weekday.test(static_cast<size_t>(tm.tm_wday));
    const bool matches = s.month.test(static_cast<size_t>(tm.tm_mon + 1)) &&
                         (s.any_day && s.any_weekday ? true
                          : s.any_day                ? weekday_ok
                          : s.any_weekday            ? day_ok
                                                     : day_ok || weekday_ok);
    if (matches)
      for (std::int64_t minute = (t - day_start) / 60; minute < 1440; ++minute)
        if (s.hour.test(static_cast<size_t>(minute / 60)) &&
            s.minute.test(static_cast<size_t>(minute % 60)))
          return day_start + minute * 60;
    t = day_start + day_seconds;
  }
  return std::nullopt;
}

std::optional<std::int64_t> next_tick(const Trigger& t, std::int64_t after) {
  std::optional<std::int64_t> next;
  if (t.cron) {
    next = next_cron_time(*t.cron, std::max(after, t.start - 1));
  } else if (t.interval > 0) {
    const std::int64_t k = after < t.start ? 0 : (after - t.start) / t.interval + 1;
    next = t.start + k * t.interval;
  }
  if (next && t.end > 0 && *next > t.end) return std::nullopt;
  return next;
}

std::vector<std::int64_t> due_ticks(const Trigger& t, std::int64_t last_fired, std::int64_t now,
                                    bool catch_up, size_t limit) {
  std::vector<std::int64_t> due;
  std::int64_t from = last_fired > 0 ? last_fired : t.start - 1;
  if (t.end > 0) now = std::min(now, t.end);
  if (!t.cron && t.interval > 0 && !catch_up) {  // the latest tick at or before now, directly
    if (now < t.start) return due;
    const std::int64_t latest = t.start + (now - t.start) / t.interval * t.interval;
    if (latest > from) due.push_back(latest);
    return due;
  }
  for (;;) {
    std::optional<std::int64_t> next = next_tick(t, from);
    if (!next || *next > now) break;
    due.push_back(*next);
    // Without catch-up only the latest counts: keep moving, keep one.
    if (!catch_up && due.size() > 1) due.erase(due.begin());
    if (catch_up && due.size() >= limit) break;
    from = *next;
  }
  return due;
}

}  // namespace slipway::schedule
