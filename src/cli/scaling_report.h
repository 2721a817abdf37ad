// `slipway bench scaling`: from the trainer's timing metrics at each scale to a table of
// throughput, speedup and parallel efficiency, next to the ideal line and a ring all-reduce cost
// model, and a plot of the three.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"

namespace slipway::cli {

struct ScalePoint {
  int ranks = 1;
  double units_per_step = 0;  // samples or tokens of the global batch
  double step_seconds = 0;    // steady state, slowest rank
  double exposed_comm_seconds = 0;
  double gradient_bytes = 0;
  double alpha = 0, bandwidth = 0;  // measured at this scale (0 on one rank)
};

struct ScaleRow {
  int ranks = 1;
  double throughput = 0, speedup = 0, efficiency = 0, exposed_fraction = 0;
  double model_comm_seconds = 0;  // ring all-reduce of the gradients: 2(p−1)α + 2(p−1)/p·S/B
  double model_throughput = 0;    // one rank's compute split (strong) or kept (weak), plus that
};

// `weak`: the global batch grows with the ranks; otherwise it is fixed (strong scaling).
std::vector<ScaleRow> scaling_table(const std::vector<ScalePoint>& points, bool weak);
std::string scaling_text(const std::vector<ScaleRow>& rows, const std::string& unit, bool weak);
Json scaling_json(const std::vector<ScaleRow>& rows, const std::string& unit, bool weak);
std::string scaling_svg(const std::vector<ScaleRow>& rows, const std::string& unit, bool weak);

}  // namespace slipway::cli
