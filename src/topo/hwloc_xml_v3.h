// hwloc 3.x topology XML, handed to a libhwloc 2.x (Debian's 2.9 refuses version 3.0 files) as
// the hwloc 2 XML that says the same wherever hwloc 2 can say it:
//  - <topology version="3.0"> becomes 2.0; objects lose their `id` attribute;
//  - OS device types, a bitmask in hwloc 3 (storage 1, memory 2, GPU 4, coprocessor 8, network
//    16, OpenFabrics 32, DMA 64), become hwloc 2's single type: OpenFabrics, then a CUDA,
//    OpenCL, LevelZero or VectorEngine coprocessor, GPU, coprocessor, network, DMA, else block
//    (early hwloc 3 development files that kept hwloc 2's numbering are recognized);
//  - a cache's cache_inclusive="1" becomes hwloc 2's info Inclusive=1;
//  - the topology's own <info> elements (Backend, OSName, HostName...) go back on the root
//    object, where hwloc 2 keeps them;
//  - what hwloc 2 has no word for is left out and counted: memory tiers (<memtier>), PCI
//    locality ranges (<pci_locality>; hwloc 2 places PCI trees by their host bridges), memory
//    attribute values whose initiator is an object, and a CPU kind's forced_efficiency.
// Every other object, attribute, OS device and distance matrix passes through unchanged.
#pragma once

#include <string>

#include "core/status.h"

namespace slipway::topo {

struct ConvertedXml {
  std::string xml;       // hwloc 2.0 XML
  std::string left_out;  // "2 memtier, 1 pci_locality" or ""
};

// Whether the XML text declares hwloc 3.x (<topology version="3...">).
bool is_hwloc_v3_xml(const std::string& head);

// The hwloc 2 XML of a hwloc 3 file; an error names the file and what could not be read.
Result<ConvertedXml> hwloc_v3_to_v2(const std::string& path);

}  // namespace slipway::topo
