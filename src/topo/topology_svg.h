// A picture of a topology (and optionally a placement plan on it), as SVG.
#pragma once

#include <string>

#include "topo/placement.h"
#include "topo/topology.h"

namespace slipway::topo {

std::string topology_svg(const Topology& t, const Plan* plan = nullptr);

}  // namespace slipway::topo
