#include "cli/live_table.h"

#include <cstdio>
#include <map>

#include "core/clock.h"
#include "core/units.h"

namespace slipway::cli {

LiveTable::LiveTable(std::string run_id, bool interactive)
    : run_id_(std::move(run_id)), interactive_(interactive), start_ms_(now_ms()) {}

static const char* color(dag::TaskState s) {
  switch (s) {
    case dag::TaskState::kSucceeded:
      return "\033[32m";
    case dag::TaskState::kFailed:
    case dag::TaskState::kUpstreamFailed:
      return "\033[31m";
    case dag::TaskState::kRunning:
      return "\033[36m";
    case dag::TaskState::kSkipped:
    case dag::TaskState::kCancelled:
      return "\033[33m";
    default:
      return "";
  }
}

std::string render_task_rows(const std::vector<dag::TaskView>& tasks, std::int64_t now) {
  size_t w = 4;
  for (const auto& t : tasks) w = std::max(w, t.name.size());
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-*s  %-18s  %-7s  %-9s  %s\n", static_cast<int>(w), "TASK",
                "STATE", "ATTEMPT", "ELAPSED", "NOTE");
  std::string out = buf;
  for (const auto& t : tasks) {
    std::string state = to_string(t.state);
    if (t.cached && t.state == dag::TaskState::kSucceeded) state += " (cached)";
    std::string elapsed = "-";
    if (t.started_ms)
      elapsed = format_duration_ms((t.finished_ms ? t.finished_ms : now) - t.started_ms);
    std::string note = t.message;
    if (t.is_group)
      note = std::to_string(t.items_done) + "/" + std::to_string(t.items_total) + " items" +
             (note.empty() ? "" : "; " + note);
    if (note.size() > 70) note = note.substr(0, 67) + "...";
    std::snprintf(buf, sizeof buf, "%-*s  %-18s  %-7d  %-9s  %s\n", static_cast<int>(w),
                  t.name.c_str(), state.c_str(), t.attempts, elapsed.c_str(), note.c_str());
    out += buf;
  }
  return out;
}

std::string LiveTable::render(const std::vector<dag::TaskView>& all) const {
  std::int64_t now = now_ms();
  // Large DAGs: show the running tasks and a count per state rather than thousands of rows.
  std::vector<dag::TaskView> tasks;
  std::string summary;
  if (all.size() > 30) {
    std::map<std::string, int> counts;
    for (const auto& t : all) {
      ++counts[to_string(t.state)];
      if (t.state == dag::TaskState::kRunning && tasks.size() < 20) tasks.push_back(t);
    }
    for (const auto& [k, v] : counts) summary += k + "=" + std::to_string(v) + " ";
    summary += "\033[K\n";
  } else {
    tasks = all;
  }
  const std::vector<dag::TaskView>& rows = tasks;
  std::string body = render_task_rows(rows, now);
  // Colour the state column on a terminal.
  std::string out;
  size_t pos = 0, line = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    std::string l = body.substr(pos, end - pos);
    if (line > 0 && line - 1 < tasks.size()) {
      const char* c = color(tasks[line - 1].state);
      if (*c) l = c + l + "\033[0m";
    }
    out += l + "\033[K\n";
    pos = end + 1;
    ++line;
  }
  out += summary;
  int done = 0, total = 0;
  for (const auto& t : all) {
    int items = t.is_group ? std::max(1, t.items_total) : 1;
    total += items;
    done += t.is_group ? (dag::is_terminal(t.state) ? items : t.items_done)
                       : (dag::is_terminal(t.state) ? 1 : 0);
  }
  double secs = (now - start_ms_) / 1000.0;
  double rate = secs > 0 ? done / secs : 0;
  std::string eta =
      rate > 0 && done < total
          ? format_duration_ms(static_cast<std::int64_t>((total - done) / rate * 1000))
          : "-";
  char buf[256];
  std::snprintf(
      buf, sizeof buf, "run %s: %d/%d tasks done, %.1f tasks/s, elapsed %s, ETA %s\033[K\n",
      run_id_.c_str(), done, total, rate, format_duration_ms(now - start_ms_).c_str(), eta.c_str());
  return out + buf;
}

bool LiveTable::due() const { return interactive_ && now_ms() - last_draw_ms_ >= 100; }

void LiveTable::update(const std::vector<dag::TaskView>& tasks, bool force) {
  if (!interactive_) return;
  std::int64_t now = now_ms();
  if (!force && now - last_draw_ms_ < 100) return;
  last_draw_ms_ = now;
  std::string frame;
  if (lines_drawn_ > 0) frame += "\033[" + std::to_string(lines_drawn_) + "F";
  frame += render(tasks);
  int lines = 0;
  for (char c : frame) lines += c == '\n';
  lines_drawn_ = lines;
  std::fputs(frame.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace slipway::cli
