// The live task table of `slipway run`: state, attempt and elapsed time per task, redrawn in
// place on a terminal (never a scrolling log). Large fan-outs collapse into one row each with
// item counts, and a progress line gives the rate and an ETA.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dag/engine.h"

namespace slipway::cli {

class LiveTable {
 public:
  LiveTable(std::string run_id, bool interactive);
  // Whether a redraw is due, so callers build a snapshot only when it will be drawn.
  bool due() const;
  // Redraws at most every 100 ms unless `force`.
  void update(const std::vector<dag::TaskView>& tasks, bool force = false);

 private:
  std::string render(const std::vector<dag::TaskView>& tasks) const;
  std::string run_id_;
  bool interactive_;
  int lines_drawn_ = 0;
  std::int64_t last_draw_ms_ = 0, start_ms_ = 0;
};

// The final table printed when output is not a terminal, and by `runs show`.
std::string render_task_rows(const std::vector<dag::TaskView>& tasks, std::int64_t now_ms);

}  // namespace slipway::cli
