#include "cli/scaling_report.h"

#include <algorithm>
#include <cstdio>

namespace slipway::cli {

std::vector<ScaleRow> scaling_table(const std::vector<ScalePoint>& points, bool weak) {
  std::vector<ScaleRow> rows;
  if (points.empty()) return rows;
  const ScalePoint& base = points.front();
  const double base_rate = base.step_seconds > 0 ? base.units_per_step / base.step_seconds : 0;
  // α and B from the largest scale that measured them: the network the bigger runs actually see.
  double alpha = 0, bandwidth = 0;
  for (const auto& p : points)
    if (p.bandwidth > 0) alpha = p.alpha, bandwidth = p.bandwidth;
  for (const auto& p : points) {
    ScaleRow r;
    r.ranks = p.ranks;
    r.throughput = p.step_seconds > 0 ? p.units_per_step / p.step_seconds : 0;
    r.speedup = base_rate > 0 ? r.throughput / base_rate : 0;
    double scale = static_cast<double>(p.ranks) / base.ranks;
    r.efficiency = scale > 0 ? r.speedup / scale : 0;
    r.exposed_fraction = p.step_seconds > 0 ? p.exposed_comm_seconds / p.step_seconds : 0;
    double pr = p.ranks;
    r.model_comm_seconds =
        pr > 1 && bandwidth > 0
            ? 2 * (pr - 1) * alpha + 2 * (pr - 1) / pr * p.gradient_bytes / bandwidth
            : 0;
    // Compute per step: one rank's time, split over the ranks (strong) or the same (weak); no
    // overlap assumed, so the model is a lower bound on throughput.
    double compute = weak ? base.step_seconds : base.step_seconds * base.ranks / pr;
    r.model_throughput = compute + r.model_comm_seconds > 0
                             ? p.units_per_step / (compute + r.model_comm_seconds)
                             : 0;
    rows.push_back(r);
  }
  return rows;
}

std::string scaling_text(const std::vector<ScaleRow>& rows, const std::string& unit, bool weak) {
  std::string s = std::string(weak ? "weak" : "strong") + " scaling (" +
                  (weak ? "batch grows with the ranks" : "fixed global batch") + ")\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "%6s %14s %8s %11s %10s %14s %14s\n", "RANKS",
                (unit + "/s").c_str(), "SPEEDUP", "EFFICIENCY", "COMM WAIT", "MODEL COMM ms",
                ("MODEL " + unit + "/s").c_str());
  s += buf;
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%6d %14.1f %7.2fx %10.1f%% %9.1f%% %14.3f %14.1f\n", r.ranks,
                  r.throughput, r.speedup, 100 * r.efficiency, 100 * r.exposed_fraction,
                  1000 * r.model_comm_seconds, r.model_throughput);
    s += buf;
  }
  return s;
}

Json scaling_json(const std::vector<ScaleRow>& rows, const std::string& unit, bool weak) {
  Json j = {{"mode", weak ? "weak" : "strong"}, {"unit", unit}, {"rows", Json::array()}};
  for (const auto& r : rows)
    j["rows"].push_back({{"ranks", r.ranks},
                         {"throughput", r.throughput},
                         {"speedup", r.speedup},
                         {"efficiency", r.efficiency},
                         {"exposed_comm_fraction", r.exposed_fraction},
                         {"model_comm_seconds", r.model_comm_seconds},
                         {"model_throughput", r.model_throughput}});
  return j;
}

std::string scaling_svg(const std::vector<ScaleRow>& rows, const std::string& unit, bool weak) {
  const double W = 640, H = 420, left = 80, right = 150, top = 40, bottom = 60;
  double max_ranks = 1, max_y = 1;
  for (const auto& r : rows) {
    max_ranks = std::max(max_ranks, static_cast<double>(r.ranks));
    max_y = std::max({max_y, r.throughput, r.model_throughput,
                      rows.front().throughput * r.ranks / rows.front().ranks});
  }
  max_y *= 1.1;
  auto x = [&](double ranks) {
    return left + (W - left - right) * (ranks - 1) / std::max(1.0, max_ranks - 1);
  };
  auto y = [&](double v) { return H - bottom - (H - top - bottom) * v / max_y; };
  char buf[512];
  std::string s =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"420\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::snprintf(buf, sizeof buf,
                "<text x=\"%g\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s scaling: %s/s by "
                "ranks</text>\n",
                left, weak ? "Weak" : "Strong", unit.c_str());
  s += buf;
  std::snprintf(buf, sizeof buf,
                "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#333\"/><line x1=\"%g\" "
                "y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#333\"/>\n",
                left, H - bottom, W - right, H - bottom, left, top, left, H - bottom);
  s += buf;
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%d</text>\n",
                  x(r.ranks), H - bottom + 18, r.ranks);
    s += buf;
  }
  for (int i = 0; i <= 4; ++i) {
    double v = max_y * i / 4;
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.0f</text><line x1=\"%g\" "
                  "y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#eee\"/>\n",
                  left - 6, y(v) + 4, v, left, y(v), W - right, y(v));
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">ranks</text>\n",
                (left + W - right) / 2, H - 18);
  s += buf;
  struct Series {
    const char* name;
    const char* colour;
    const char* dash;
    double (*value)(const ScaleRow&, const ScaleRow&);
  };
  const Series series[] = {
      {"measured", "#1f77b4", "", [](const ScaleRow& r, const ScaleRow&) { return r.throughput; }},
      {"ideal", "#2ca02c", "6,4",
       [](const ScaleRow& r, const ScaleRow& b) { return b.throughput * r.ranks / b.ranks; }},
      {"ring model", "#d62728", "2,3",
       [](const ScaleRow& r, const ScaleRow&) { return r.model_throughput; }},
  };
  int k = 0;
  for (const auto& se : series) {
    std::string pts;
    for (const auto& r : rows) {
      std::snprintf(buf, sizeof buf, "%g,%g ", x(r.ranks), y(se.value(r, rows.front())));
      pts += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                  "stroke-dasharray=\"%s\"/>\n",
                  pts.c_str(), se.colour, se.dash);
    s += buf;
    for (const auto& r : rows) {
      std::snprintf(buf, sizeof buf, "<circle cx=\"%g\" cy=\"%g\" r=\"3\" fill=\"%s\"/>\n",
                    x(r.ranks), y(se.value(r, rows.front())), se.colour);
      s += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%g\" y1=\"%d\" x2=\"%g\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\" "
                  "stroke-dasharray=\"%s\"/><text x=\"%g\" y=\"%d\">%s</text>\n",
                  W - right + 12, 60 + 20 * k, W - right + 36, 60 + 20 * k, se.colour, se.dash,
                  W - right + 42, 64 + 20 * k, se.name);
    s += buf;
    ++k;
  }
  return s + "</svg>\n";
}

}  // namespace slipway::cli
