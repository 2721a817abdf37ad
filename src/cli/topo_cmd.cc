// `slipway topo`: the machine as hwloc sees it, and rank placement plans on it.
#include <cstdio>

#include "cli/common.h"
#include "topo/placement.h"
#include "topo/topology_svg.h"

namespace slipway::cli {

int cmd_topo(const Args& args) {
  po::options_description opts("topo options");
  opts.add_options()("xml", po::value<std::string>()->default_value(""),
                     "an exported hwloc XML topology (default: this machine)")(
      "output,o", po::value<std::string>()->default_value("text"), "text, json or svg")(
      "plan", po::bool_switch(), "show a placement plan of --ranks ranks on this topology")(
      "ranks", po::value<int>()->default_value(1), "plan: ranks on the node")(
      "gpus-per-rank", po::value<int>()->default_value(0), "plan: GPUs per rank")(
      "cores-per-rank", po::value<int>()->default_value(0),
      "plan: cores per rank (default: the node's cores shared out)")(
      "policy", po::value<std::string>()->default_value(""), "plan: gpu-affine, pack or spread")(
      "no-smt", po::bool_switch(), "plan: bind to one hardware thread per core");
  po::positional_options_description pos;
  po::variables_map vm;
  int rc = 0;
  const char* usage =
      "slipway topo [--xml FILE] [--output text|json|svg]\n"
      "slipway topo --plan --ranks N [--gpus-per-rank G] [--cores-per-rank C] [--policy "
      "gpu-affine|pack|spread] [--xml FILE] [--output text|json|svg]";
  if (!parse_args(args, usage, opts, pos, &vm, &rc)) return rc;
  std::string out = vm["output"].as<std::string>();
  if (out != "text" && out != "json" && out != "svg") {
    std::fprintf(stderr, "slipway topo: --output must be text, json or svg, not '%s'\n",
                 out.c_str());
    return 2;
  }
  auto topo = topo::load_topology(vm["xml"].as<std::string>());
  if (!topo.ok()) {
    std::fprintf(stderr, "slipway topo: %s\n", topo.status().message().c_str());
    return 2;
  }
  std::optional<topo::Plan> plan;
  if (vm["plan"].as<bool>()) {
    topo::PlanRequest req;
    req.ranks = vm["ranks"].as<int>();
    req.gpus_per_rank = vm["gpus-per-rank"].as<int>();
    req.cores_per_rank = vm["cores-per-rank"].as<int>();
    req.smt = !vm["no-smt"].as<bool>();
    if (std::string p = vm["policy"].as<std::string>(); !p.empty()) {
      auto pol = topo::parse_policy(p);
      if (!pol.ok()) {
        std::fprintf(stderr, "slipway topo: %s\n", pol.status().message().c_str());
        return 2;
      }
      req.policy = *pol;
    }
    auto pl = topo::plan_placement(*topo, req);
    if (!pl.ok()) {
      std::fprintf(stderr, "slipway topo: %s\n", pl.status().message().c_str());
      return 2;
    }
    plan = *pl;
  }
  if (out == "svg") {
    std::fputs(topo::topology_svg(*topo, plan ? &*plan : nullptr).c_str(), stdout);
  } else if (out == "json") {
    nlohmann::json j = topo::topology_json(*topo);
    if (plan) j["plan"] = topo::plan_json(*topo, *plan);
    print_json(j);
  } else {
    std::fputs(topo::topology_text(*topo).c_str(), stdout);
    if (plan) std::fputs(("\n" + topo::plan_text(*topo, *plan)).c_str(), stdout);
  }
  return 0;
}

}  // namespace slipway::cli
