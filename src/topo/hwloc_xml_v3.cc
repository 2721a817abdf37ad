#include "topo/hwloc_xml_v3.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <map>
#include <memory>
#include <regex>
#include <vector>

namespace slipway::topo {

namespace {

// hwloc 3's OS device type bits (storage 1 and memory 2 need no test: what is neither of the
// others was a block device in hwloc 2), and hwloc 2's types (enum hwloc_obj_osdev_type_e).
constexpr unsigned kGpu = 4, kCoproc = 8, kNetwork = 16, kOpenFabrics = 32, kDma = 64;
constexpr int kV2Block = 0, kV2Gpu = 1, kV2Network = 2, kV2OpenFabrics = 3, kV2Dma = 4,
              kV2Coproc = 5;

int v2_osdev_type(unsigned bits, const std::string& subtype) {
  if (bits & kOpenFabrics) return kV2OpenFabrics;
  // hwloc 2 calls the compute APIs' devices coprocessors, and NVML, RSMI and DRM devices GPUs;
  // hwloc 3 marks the former GPU and coprocessor both.
  if ((bits & kCoproc) && (subtype == "CUDA" || subtype == "OpenCL" || subtype == "LevelZero" ||
                           subtype == "VectorEngine" || subtype == "MIC"))
    return kV2Coproc;
  if (bits & kGpu) return kV2Gpu;
  if (bits & kCoproc) return kV2Coproc;
  if (bits & kNetwork) return kV2Network;
  if (bits & kDma) return kV2Dma;
  return kV2Block;
}

std::string attr(xmlNodePtr n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (!v) return "";
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

bool named(xmlNodePtr n, const char* name) {
  return n->type == XML_ELEMENT_NODE &&
         xmlStrcmp(n->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

void unset(xmlNodePtr n, const char* name) {
  xmlUnsetProp(n, reinterpret_cast<const xmlChar*>(name));
}

xmlNodePtr first_element(xmlNodePtr parent) {
  for (xmlNodePtr c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) return c;
  return nullptr;
}

// Puts `child` among `parent`'s leading <info> elements (after them, before anything else).
void add_leading_info(xmlNodePtr parent, xmlNodePtr child) {
  xmlNodePtr c = first_element(parent);
  while (c && named(c, "info")) {
    xmlNodePtr next = c->next;
    while (next && next->type != XML_ELEMENT_NODE) next = next->next;
    c = next;
  }
  if (c)
    xmlAddPrevSibling(c, child);
  else
    xmlAddChild(parent, child);
}

xmlNodePtr new_info(const char* name, const char* value) {
  xmlNodePtr info = xmlNewNode(nullptr, reinterpret_cast<const xmlChar*>("info"));
  xmlNewProp(info, reinterpret_cast<const xmlChar*>("name"),
             reinterpret_cast<const xmlChar*>(name));
  xmlNewProp(info, reinterpret_cast<const xmlChar*>("value"),
             reinterpret_cast<const xmlChar*>(value));
  return info;
}

// Early hwloc 3 development exports also say version 3.0 but kept hwloc 2's numbering of OS
// device types, with memory devices as a new type 6 (hwloc's own cxlmem+dax.v2tov3.xml test file
// was one). A file is read as that numbering when a device has type 0 or 5, which no bitmask
// gives a device, or a network device's type is 2; as the final bitmask when a type is above 6
// or a block device's type is 1; and as the final format when nothing tells them apart.
bool uses_v2_numbering(xmlNodePtr n) {
  bool v2 = false, bitmask = false;
  auto visit = [&](auto&& self, xmlNodePtr node) -> void {
    for (xmlNodePtr c = node->children; c; c = c->next) {
      if (!named(c, "object")) continue;
      const std::string type = attr(c, "osdev_type");
      if (!type.empty()) {
        const unsigned long v = std::strtoul(type.c_str(), nullptr, 10);
        const std::string name = attr(c, "name");
        auto starts = [&](std::initializer_list<const char*> prefixes) {
          for (const char* p : prefixes)
            if (name.rfind(p, 0) == 0) return true;
          return false;
        };
        if (v == 0 || v == 5 || (v == 2 && starts({"eth", "en", "ib", "wl", "hsn"}))) v2 = true;
        if (v > 6 || (v == 1 && starts({"sd", "nvme", "sr", "pmem", "hd", "vd"}))) bitmask = true;
      }
      self(self, c);
    }
  };
  visit(visit, n);
  return v2 && !bitmask;
}

void convert(xmlNodePtr n, bool v2_numbering, std::map<std::string, int>* left_out) {
  std::vector<xmlNodePtr> drop;
  for (xmlNodePtr c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (named(c, "memtier") || named(c, "pci_locality")) {
      drop.push_back(c);
      ++(*left_out)[reinterpret_cast<const char*>(c->name)];
      continue;
    }
    if (named(c, "memattr_value") && !attr(c, "initiator_obj_type").empty()) {
      drop.push_back(c);
      ++(*left_out)["memattr_value with an object initiator"];
      continue;
    }
    if (named(c, "cpukind") && !attr(c, "forced_efficiency").empty()) {
      unset(c, "forced_efficiency");
      ++(*left_out)["cpukind forced_efficiency"];
    }
    if (named(c, "object")) {
      unset(c, "id");
      const std::string osdev = attr(c, "osdev_type");
      if (!osdev.empty()) {
        const unsigned v = static_cast<unsigned>(std::strtoul(osdev.c_str(), nullptr, 10));
        const int type = v2_numbering ? (v == 6 ? kV2Block : static_cast<int>(v))
                                      : v2_osdev_type(v, attr(c, "subtype"));
        xmlSetProp(c, reinterpret_cast<const xmlChar*>("osdev_type"),
                   reinterpret_cast<const xmlChar*>(std::to_string(type).c_str()));
      }
      const std::string inclusive = attr(c, "cache_inclusive");
      if (!inclusive.empty()) {
        unset(c, "cache_inclusive");
        if (inclusive != "0") add_leading_info(c, new_info("Inclusive", "1"));
      }
    }
    convert(c, v2_numbering, left_out);
  }
  for (xmlNodePtr d : drop) {
    xmlUnlinkNode(d);
    xmlFreeNode(d);
  }
}

}  // namespace

bool is_hwloc_v3_xml(const std::string& head) {
  static const std::regex kV3(R"re(<topology\s+version="3(\.[0-9]+)*")re");
  return std::regex_search(head, kV3);
}

Result<ConvertedXml> hwloc_v3_to_v2(const std::string& path) {
  using Doc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;
  Doc doc(
      xmlReadFile(path.c_str(), nullptr, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR),
      &xmlFreeDoc);
  if (!doc) {
    const xmlError* e = xmlGetLastError();
    return InvalidInput(path + " is not well-formed XML" +
                        (e && e->message
                             ? ": line " + std::to_string(e->line) + ": " + std::string(e->message)
                             : std::string()));
  }
  xmlNodePtr root = xmlDocGetRootElement(doc.get());
  if (!root || !named(root, "topology"))
    return InvalidInput(path + " is not an hwloc XML topology (its root is not <topology>)");
  xmlSetProp(root, reinterpret_cast<const xmlChar*>("version"),
             reinterpret_cast<const xmlChar*>("2.0"));
  xmlNodePtr machine = nullptr;
  std::vector<xmlNodePtr> top_infos;
  for (xmlNodePtr c = root->children; c; c = c->next) {
    if (!machine && named(c, "object")) machine = c;
    if (named(c, "info")) top_infos.push_back(c);
  }
  if (!machine) return InvalidInput(path + " has no root object under <topology>");
  for (xmlNodePtr info : top_infos) {
    xmlUnlinkNode(info);
    add_leading_info(machine, info);
  }
  std::map<std::string, int> left_out;
  convert(root, uses_v2_numbering(root), &left_out);
  xmlChar* buffer = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc.get(), &buffer, &size, "UTF-8");
  if (!buffer) return Failed("could not write the hwloc 2 form of " + path);
  ConvertedXml out;
  out.xml.assign(reinterpret_cast<const char*>(buffer), static_cast<size_t>(size));
  xmlFree(buffer);
  for (const auto& [what, n] : left_out)
    out.left_out += (out.left_out.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  return out;
}

}  // namespace slipway::topo
