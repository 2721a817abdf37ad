#include "tune/sweep_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tune/pareto.h"

namespace slipway::tune {

namespace {

constexpr double kW = 720, kH = 420, kLeft = 80, kRight = 30, kTop = 44, kBottom = 56;

bool finished(const store::TrialRecord& t) {
  return (t.state == "SUCCEEDED" || t.state == "EARLY_STOPPED") && t.objective;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s)
    out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

struct Axis {
  double lo, hi;
  double map(double v, double a, double b) const {
    return hi > lo ? a + (b - a) * (v - lo) / (hi - lo) : (a + b) / 2;
  }
};

Axis range_of(const std::vector<double>& v) {
  if (v.empty()) return {0, 1};
  double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
  double pad = (hi - lo) * 0.05;
  if (pad == 0) pad = std::max(1e-9, std::fabs(lo) * 0.05 + 1e-9);
  return {lo - pad, hi + pad};
}

std::string header(const std::string& title) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
                "font-family=\"sans-serif\" font-size=\"12\">\n",
                kW, kH);
  std::string s = buf;
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::snprintf(buf, sizeof buf, "<text x=\"%g\" y=\"24\" font-size=\"15\" font-weight=\"bold\">",
                kLeft);
  return s + buf + escape(title) + "</text>\n";
}

// Axes with four labelled ticks on y and the given labels.
std::string axes(const Axis& x, const Axis& y, const std::string& xlabel,
                 const std::string& ylabel) {
  char buf[512];
  std::string s;
  std::snprintf(buf, sizeof buf,
                "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#333\"/><line x1=\"%g\" "
                "y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#333\"/>\n",
                kLeft, kH - kBottom, kW - kRight, kH - kBottom, kLeft, kTop, kLeft, kH - kBottom);
  s += buf;
  for (int i = 0; i <= 4; ++i) {
    double vy = y.lo + (y.hi - y.lo) * i / 4, py = y.map(vy, kH - kBottom, kTop);
    double vx = x.lo + (x.hi - x.lo) * i / 4, px = x.map(vx, kLeft, kW - kRight);
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g</text><line x1=\"%g\" "
                  "y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#eee\"/>"
                  "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.4g</text>\n",
                  kLeft - 6, py + 4, vy, kLeft, py, kW - kRight, py, px, kH - kBottom + 18, vx);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">",
                (kLeft + kW - kRight) / 2, kH - 16);
  s += buf + escape(xlabel) + "</text>\n";
  std::snprintf(buf, sizeof buf,
                "<text x=\"16\" y=\"%g\" text-anchor=\"middle\" transform=\"rotate(-90 16 %g)\">",
                (kTop + kH - kBottom) / 2, (kTop + kH - kBottom) / 2);
  return s + buf + escape(ylabel) + "</text>\n";
}

// Better objectives darker: a blue ramp over [0, 1] where 0 is the best.
std::string shade(double badness) {
  int v = static_cast<int>(40 + 180 * std::clamp(badness, 0.0, 1.0));
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", v / 3, v / 2 + 40, 230);
  return buf;
}

}  // namespace

std::string best_so_far_svg(const SweepSpec& spec, const std::vector<store::TrialRecord>& trials) {
  std::vector<double> xs, ys;
  for (const auto& t : trials)
    if (finished(t)) xs.push_back(t.number), ys.push_back(*t.objective);
  Axis x = range_of(xs), y = range_of(ys);
  std::string s = header("Best " + spec.objective.metric + " so far (" +
                         (spec.objective.maximize ? "maximize" : "minimize") + ")");
  s += axes(x, y, "trial", spec.objective.metric);
  char buf[256];
  std::string line;
  double best = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    best = i == 0 ? ys[i] : spec.objective.maximize ? std::max(best, ys[i]) : std::min(best, ys[i]);
    std::snprintf(buf, sizeof buf, "<circle cx=\"%g\" cy=\"%g\" r=\"3\" fill=\"#999\"/>\n",
                  x.map(xs[i], kLeft, kW - kRight), y.map(ys[i], kH - kBottom, kTop));
    s += buf;
    std::snprintf(buf, sizeof buf, "%g,%g ", x.map(xs[i], kLeft, kW - kRight),
                  y.map(best, kH - kBottom, kTop));
    line += buf;
  }
  s += "<polyline points=\"" + line + "\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n";
  return s + "</svg>\n";
}

std::string parallel_coordinates_svg(const SweepSpec& spec,
                                     const std::vector<store::TrialRecord>& trials) {
  std::vector<const store::TrialRecord*> done;
  for (const auto& t : trials)
    if (finished(t)) done.push_back(&t);
  const size_t axes_n = spec.space.dims() + 1;
  auto xpos = [&](size_t i) {
    return kLeft +
           (kW - kLeft - kRight - 40) * static_cast<double>(i) / std::max<size_t>(1, axes_n - 1);
  };
  std::string s =
      header("Parameters of every finished trial, darker is better " + spec.objective.metric);
  char buf[512];
  std::vector<double> objs;
  for (auto* t : done) objs.push_back(*t->objective);
  Axis oy = range_of(objs);
  for (size_t i = 0; i < axes_n; ++i) {
    std::string name = i < spec.space.dims() ? spec.space.params[i].name : spec.objective.metric;
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#333\"/><text x=\"%g\" "
                  "y=\"%g\" text-anchor=\"middle\">",
                  xpos(i), kTop, xpos(i), kH - kBottom, xpos(i), kH - kBottom + 18);
    s += buf + escape(name) + "</text>\n";
    // The axis' ends: the parameter's lowest and highest values, or the objective's range.
    std::string lo, hi;
    if (i < spec.space.dims()) {
      lo = SearchSpace::format(spec.space.value_of(spec.space.params[i], 0.0));
      hi = SearchSpace::format(spec.space.value_of(spec.space.params[i], 1.0));
    } else {
      std::snprintf(buf, sizeof buf, "%.4g", oy.lo), lo = buf;
      std::snprintf(buf, sizeof buf, "%.4g", oy.hi), hi = buf;
    }
    std::snprintf(buf, sizeof buf, "<text x=\"%g\" y=\"%g\" text-anchor=\"start\" fill=\"#666\">",
                  xpos(i) + 4, kTop + 10);
    s += buf + escape(hi.substr(0, 10)) + "</text>";
    std::snprintf(buf, sizeof buf, "<text x=\"%g\" y=\"%g\" text-anchor=\"start\" fill=\"#666\">",
                  xpos(i) + 4, kH - kBottom - 4);
    s += buf + escape(lo.substr(0, 10)) + "</text>\n";
  }
  // The worst first, so the best lines are drawn on top.
  std::sort(done.begin(), done.end(),
            [&](const store::TrialRecord* a, const store::TrialRecord* b) {
              return spec.objective.maximize ? *a->objective < *b->objective
                                             : *a->objective > *b->objective;
            });
  for (auto* t : done) {
    std::string pts;
    for (size_t i = 0; i < axes_n; ++i) {
      double u = i < spec.space.dims() ? (i < t->point.size() ? t->point[i] : 0.5)
                                       : oy.map(*t->objective, 0, 1);
      std::snprintf(buf, sizeof buf, "%g,%g ", xpos(i), kH - kBottom - (kH - kTop - kBottom) * u);
      pts += buf;
    }
    double bad = oy.map(*t->objective, 0, 1);
    if (spec.objective.maximize) bad = 1 - bad;
    s += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + shade(bad) +
         "\" stroke-width=\"1.5\" opacity=\"0.8\"/>\n";
  }
  return s + "</svg>\n";
}

std::string pareto_svg(const SweepSpec& spec, const std::vector<store::TrialRecord>& trials) {
  if (!spec.objective.multi_objective || spec.objective.additional.empty()) return "";
  const std::string& m2 = spec.objective.additional[0];
  std::vector<double> xs, ys;
  std::vector<int> ranks = pareto_ranks(spec.objective, trials);
  std::vector<std::pair<double, double>> front;
  for (size_t i = 0; i < trials.size(); ++i) {
    if (ranks[i] < 0) continue;
    double a = trials[i].metrics[spec.objective.metric].get<double>(),
           b = trials[i].metrics[m2].get<double>();
    xs.push_back(a), ys.push_back(b);
    if (ranks[i] == 0) front.push_back({a, b});
  }
  Axis x = range_of(xs), y = range_of(ys);
  std::string s = header("Pareto front: " + spec.objective.metric + " against " + m2);
  s += axes(x, y, spec.objective.metric + (spec.objective.maximize ? " (maximize)" : " (minimize)"),
            m2 + (spec.objective.additional_maximize[0] ? " (maximize)" : " (minimize)"));
  char buf[256];
  for (size_t i = 0; i < xs.size(); ++i) {
    std::snprintf(buf, sizeof buf, "<circle cx=\"%g\" cy=\"%g\" r=\"3.5\" fill=\"#bbb\"/>\n",
                  x.map(xs[i], kLeft, kW - kRight), y.map(ys[i], kH - kBottom, kTop));
    s += buf;
  }
  std::sort(front.begin(), front.end());
  std::string pts;
  for (auto [a, b] : front) {
    std::snprintf(buf, sizeof buf, "<circle cx=\"%g\" cy=\"%g\" r=\"4.5\" fill=\"#d62728\"/>\n",
                  x.map(a, kLeft, kW - kRight), y.map(b, kH - kBottom, kTop));
    s += buf;
    std::snprintf(buf, sizeof buf, "%g,%g ", x.map(a, kLeft, kW - kRight),
                  y.map(b, kH - kBottom, kTop));
    pts += buf;
  }
  s += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/>\n";
  return s + "</svg>\n";
}

}  // namespace slipway::tune
