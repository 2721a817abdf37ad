#include "schedule/runner.h"

#include <algorithm>

namespace slipway::schedule {

Result<Trigger> trigger_of(const store::ScheduleRecord& s) {
  Trigger t;
  t.start = (s.start_ms > 0 ? s.start_ms : s.created_ms) / 1000;
  t.end = s.end_ms / 1000;
  if (!s.cron.empty()) {
    auto c = parse_cron(s.cron);
    if (!c.ok()) return c.status();
    t.cron = *c;
  } else if (s.interval_s > 0) {
    t.interval = s.interval_s;
  } else {
    return InvalidInput("schedule " + s.id + " has neither a cron expression nor an interval");
  }
  return t;
}

std::vector<Fired> ScheduleRunner::tick(std::int64_t now_ms) {
  std::vector<Fired> fired;
  last_error_.clear();
  auto note = [this](Status s) { last_error_.note(std::move(s)); };
  for (const auto& s : store_.list_schedules("")) {
    if (!s.enabled) continue;
    auto trigger = trigger_of(s);
    if (!trigger.ok()) {
      if (s.message != trigger.status().message())
        note(store_.set_schedule_fired(s.id, s.last_fired_ms, trigger.status().message()));
      continue;
    }
    const int active = store_.count_active_runs(s.id);
    const int slots = std::max(0, s.max_concurrency - active);
    auto due = due_ticks(*trigger, s.last_fired_ms / 1000, now_ms / 1000, s.catch_up,
                         static_cast<size_t>(std::max(1, slots)));
    if (due.empty()) continue;
    if (slots == 0) {
      std::string why = "waiting: " + std::to_string(active) + " runs active (max_concurrency " +
                        std::to_string(s.max_concurrency) + ")";
      if (s.message != why) note(store_.set_schedule_fired(s.id, s.last_fired_ms, why));
      continue;
    }
    for (std::int64_t tick : due) {
      // The run and the schedule's last_fired go in one transaction: either both are stored or
      // neither is, and a tick whose transaction failed stays due for the next call.
      const std::int64_t tick_ms = tick * 1000;
      if (Status b = store_.begin(); !b.ok()) {
        note(b);
        break;
      }
      auto run = launch_(store_, s, tick_ms);
      if (!run.ok()) {
        // Nothing of a run that failed half-way is kept; the tick is spent, with the reason, so a
        // broken pipeline is not retried every second.
        (void)store_.rollback();  // safe: a failed rollback keeps nothing either
        note(store_.set_schedule_fired(s.id, tick_ms,
                                       "the run of " + std::to_string(tick_ms) +
                                           " was not created: " + run.status().message()));
        fired.push_back({s.id, tick_ms, ""});
        continue;
      }
      if (Status f = store_.set_schedule_fired(s.id, tick_ms, ""); !f.ok()) {
        (void)store_.rollback();  // safe: the UPDATE's error is the one kept
        note(f);
        break;
      }
      if (Status c = store_.commit(); !c.ok()) {  // commit() rolled the batch back
        note(c);
        break;
      }
      fired.push_back({s.id, tick_ms, run->id});
    }
  }
  return fired;
}

}  // namespace slipway::schedule
