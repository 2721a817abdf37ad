// The topology as an SVG picture: packages hold NUMA nodes, NUMA nodes hold their cores (each
// labelled with its hardware threads) and, below them, the GPUs and NICs local to that node.
// With a plan, each rank's cores and GPUs share a colour and carry the rank number.
#include "topo/topology_svg.h"

#include <algorithm>
#include <map>

#include "core/strings.h"

namespace slipway::topo {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

const char* kRankColours[] = {"#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69",
                              "#fccde5", "#ffffb3", "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9"};

struct Svg {
  std::string body;
  void rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& stroke = "#555") {
    body += "<rect x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" width=\"" + fmt(w) + "\" height=\"" +
            fmt(h) + "\" rx=\"4\" fill=\"" + fill + "\" stroke=\"" + stroke + "\"/>\n";
  }
  void text(double x, double y, const std::string& s, int size = 12,
            const std::string& weight = "normal") {
    body += "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" font-size=\"" + std::to_string(size) +
            "\" font-weight=\"" + weight + "\">" + esc(s) + "</text>\n";
  }
  static std::string fmt(double v) { return std::to_string(static_cast<int>(v)); }
};

}  // namespace

std::string topology_svg(const Topology& t, const Plan* plan) {
  std::map<int, int> core_rank, gpu_rank;
  std::map<std::string, std::vector<int>> nic_ranks;
  if (plan)
    for (const auto& r : plan->ranks) {
      for (int c : r.cores) core_rank[c] = r.local_rank;
      for (int g : r.gpus) gpu_rank[g] = r.local_rank;
      if (!r.nic.empty()) nic_ranks[r.nic].push_back(r.local_rank);
    }
  auto colour = [](int rank) {
    return std::string(kRankColours[static_cast<size_t>(rank) % std::size(kRankColours)]);
  };

  const double cw = 58, ch = 30, gap = 6, pad = 12, dev_h = 34;
  const int per_row = 8;
  Svg svg;
  double y = 50, width = 0;
  std::string title = t.source + (t.hostname.empty() ? "" : " (" + t.hostname + ")");
  if (plan)
    title +=
        " — plan: " + std::to_string(plan->ranks.size()) + " ranks, " + to_string(plan->policy);
  svg.text(pad, 26, title, 16, "bold");
  for (int p = 0; p < t.packages; ++p) {
    std::vector<const TopoNuma*> nodes;
    for (const auto& n : t.numa)
      if (n.package == p) nodes.push_back(&n);
    // Layout pass: each NUMA box is as wide as its core grid, boxes side by side.
    double x = pad * 2, pkg_top = y, tallest = 0;
    std::string pkg_body;
    Svg inner;
    for (const TopoNuma* n : nodes) {
      std::vector<const TopoCore*> cores;
      for (const auto& c : t.cores)
        if (c.numa == n->os_index) cores.push_back(&c);
      int cols = std::min<int>(per_row, std::max<int>(1, static_cast<int>(cores.size())));
      int rows = (static_cast<int>(cores.size()) + cols - 1) / cols;
      std::vector<std::string> devs;
      std::vector<std::string> fills;
      for (const auto& a : t.accelerators)
        if (!a.numa.empty() && a.numa.front() == n->os_index) {
          devs.push_back(
              "GPU " + std::to_string(a.index) + " " + join(a.names, "/") +
              (gpu_rank.count(a.index) ? "  → rank " + std::to_string(gpu_rank[a.index]) : ""));
          fills.push_back(gpu_rank.count(a.index) ? colour(gpu_rank[a.index]) : "#e8f0ff");
        }
      for (const auto& d : t.nics)
        if (!d.numa.empty() && d.numa.front() == n->os_index) {
          std::string ranks;
          for (int r : nic_ranks[d.name])
            ranks += (ranks.empty() ? "  ← ranks " : ",") + std::to_string(r);
          devs.push_back("NIC " + d.name + " (" + d.subtype + ")" + ranks);
          fills.push_back("#fff4e0");
        }
      double w = cols * (cw + gap) + gap + pad;
      double h = 26 + rows * (ch + gap) + static_cast<double>(devs.size()) * (dev_h + gap) + pad;
      double top = pkg_top + 30;
      inner.rect(x, top, w, h, "#f4f8f4");
      inner.text(x + 8, top + 17,
                 "NUMA " + std::to_string(n->os_index) + " (" +
                     std::to_string((n->memory + (1ull << 29)) >> 30) + " GiB)",
                 12, "bold");
      for (size_t i = 0; i < cores.size(); ++i) {
        double cx = x + gap + static_cast<double>(i % static_cast<size_t>(cols)) * (cw + gap);
        double cy = top + 26 + static_cast<double>(i / static_cast<size_t>(cols)) * (ch + gap);
        auto it = core_rank.find(cores[i]->index);
        inner.rect(cx, cy, cw, ch, it != core_rank.end() ? colour(it->second) : "#ffffff");
        std::vector<std::string> pus;
        for (int pu : cores[i]->pus) pus.push_back(std::to_string(pu));
        inner.text(cx + 4, cy + 13,
                   "C" + std::to_string(cores[i]->index) +
                       (it != core_rank.end() ? " r" + std::to_string(it->second) : ""),
                   10, "bold");
        inner.text(cx + 4, cy + 26, join(pus, ","), 9);
      }
      double dy = top + 26 + rows * (ch + gap);
      for (size_t i = 0; i < devs.size(); ++i) {
        inner.rect(x + gap, dy, w - 2 * gap, dev_h, fills[i]);
        inner.text(x + gap + 6, dy + 21, devs[i], 11);
        dy += dev_h + gap;
      }
      x += w + pad;
      tallest = std::max(tallest, h);
    }
    double pkg_w = x - pad;
    svg.rect(pad, pkg_top, pkg_w, tallest + 30 + pad, "#fafafa", "#222");
    svg.text(pad + 8, pkg_top + 19, "Package " + std::to_string(p), 13, "bold");
    svg.body += inner.body;
    width = std::max(width, pkg_w + 2 * pad);
    y = pkg_top + tallest + 30 + pad + 16;
  }
  width = std::max(width, 12.0 * static_cast<double>(title.size()));
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Svg::fmt(width) + "\" height=\"" +
         Svg::fmt(y) +
         "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" +
         svg.body + "</svg>\n";
}

}  // namespace slipway::topo
