#include "topo/topology.h"

#include <hwloc.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>

#include "core/strings.h"
#include "topo/hwloc_xml_v3.h"

namespace slipway::topo {

int Topology::pu_count() const {
  int n = 0;
  for (const auto& c : cores) n += static_cast<int>(c.pus.size());
  return n;
}

const TopoNuma* Topology::numa_node(int os_index) const {
  for (const auto& n : numa)
    if (n.os_index == os_index) return &n;
  return nullptr;
}

std::uint64_t Topology::numa_distance(int a, int b) const {
  for (const auto& d : distances) {
    if (d.kind != "latency") continue;
    auto pos = [&](int os) {
      auto it = std::find(d.objects.begin(), d.objects.end(), "numa" + std::to_string(os));
      return it == d.objects.end() ? -1 : static_cast<int>(it - d.objects.begin());
    };
    int i = pos(a), j = pos(b);
    if (i >= 0 && j >= 0) return d.values[static_cast<size_t>(i)][static_cast<size_t>(j)];
  }
  // No distance matrix in the topology (common in exported XML): ACPI SLIT's conventions stand
  // in, 10 for local, 20 for another node of the same package, 40 for another package.
  if (a == b) return 10;
  const TopoNuma* na = numa_node(a);
  const TopoNuma* nb = numa_node(b);
  return na && nb && na->package == nb->package ? 20 : 40;
}

std::string cpu_list(const std::vector<int>& cpus) { return compact_ranges(cpus); }

namespace {

struct TopologyDeleter {
  void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};
using TopologyPtr = std::unique_ptr<hwloc_topology, TopologyDeleter>;

std::vector<int> bitmap_indexes(hwloc_const_bitmap_t set) {
  std::vector<int> out;
  if (!set) return out;
  for (int i = hwloc_bitmap_first(set); i >= 0; i = hwloc_bitmap_next(set, i)) out.push_back(i);
  return out;
}

// The version an XML file declares, checked first: hwloc 2.9 refuses what it cannot read in a
// way that does not say why. True for hwloc 3.x, which is read through its hwloc 2 form.
Result<bool> check_xml_version(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  static const std::regex kVersion(R"re(<topology\s+version="([0-9.]+)")re");
  std::smatch m;
  if (head.find("<topology") == std::string::npos)
    return InvalidInput(path +
                        " is not an hwloc XML topology (no <topology> element); export one with "
                        "`lstopo --of xml FILE`");
  if (std::regex_search(head, m, kVersion) && !starts_with(m[1].str(), "1.") &&
      !starts_with(m[1].str(), "2.") && !starts_with(m[1].str(), "3."))
    return InvalidInput(path + " is hwloc " + m[1].str() +
                        " XML; this build reads hwloc 1.x, 2.x and 3.x XML (libhwloc " +
                        HWLOC_VERSION +
                        "). On the machine, export it for older readers with `lstopo --of xml "
                        "--export-xml-flags v2 FILE`");
  return is_hwloc_v3_xml(head);
}

std::string osdev_subtype(hwloc_obj_t o) {
  if (o->subtype && *o->subtype) return o->subtype;
  // Exports of hwloc before 2.3 (and hwloc 3's NVML devices) carry no subtype: the backend that
  // found the device is in its name, as hwloc names them.
  const std::string name = o->name ? o->name : "";
  static const std::vector<std::pair<std::string, std::string>> kByName = {{"nvml", "NVML"},
                                                                           {"cuda", "CUDA"},
                                                                           {"rsmi", "RSMI"},
                                                                           {"opencl", "OpenCL"},
                                                                           {"ze", "LevelZero"}};
  for (const auto& [prefix, subtype] : kByName)
    if (starts_with(name, prefix) && name.size() > prefix.size() &&
        std::isdigit(static_cast<unsigned char>(name[prefix.size()])))
      return subtype;
  switch (o->attr->osdev.type) {
    case HWLOC_OBJ_OSDEV_OPENFABRICS:
      return "OpenFabrics";
    case HWLOC_OBJ_OSDEV_NETWORK:
      return "Network";
    case HWLOC_OBJ_OSDEV_GPU:
      return "GPU";
    case HWLOC_OBJ_OSDEV_COPROC:
      return "CoProcessor";
    default:
      return "";
  }
}

std::string pci_busid(hwloc_obj_t pci) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%01x", pci->attr->pcidev.domain,
                pci->attr->pcidev.bus, pci->attr->pcidev.dev, pci->attr->pcidev.func);
  return buf;
}

class Reader {
 public:
  Reader(hwloc_topology_t t, Topology* out) : t_(t), out_(out) {}

  void read() {
    hwloc_obj_t root = hwloc_get_root_obj(t_);
    if (const char* h = hwloc_obj_get_info_by_name(root, "HostName")) out_->hostname = h;
    if (const char* a = hwloc_obj_get_info_by_name(root, "Architecture")) out_->architecture = a;
    out_->packages = std::max(1, hwloc_get_nbobjs_by_type(t_, HWLOC_OBJ_PACKAGE));
    for (hwloc_obj_t n = nullptr; (n = hwloc_get_next_obj_by_type(t_, HWLOC_OBJ_NUMANODE, n));) {
      TopoNuma tn;
      tn.os_index = static_cast<int>(n->os_index);
      tn.memory = n->attr->numanode.local_memory;
      tn.cpus = bitmap_indexes(n->cpuset);
      hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(t_, HWLOC_OBJ_PACKAGE, n);
      tn.package = pkg ? static_cast<int>(pkg->logical_index) : 0;
      out_->numa.push_back(tn);
    }
    // Cores with their hardware threads; topologies without cores (some virtual machines, old
    // XML) get one core per PU.
    hwloc_obj_type_t core_type =
        hwloc_get_nbobjs_by_type(t_, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    std::map<int, int> per_package;
    for (hwloc_obj_t c = nullptr; (c = hwloc_get_next_obj_by_type(t_, core_type, c));) {
      TopoCore tc;
      tc.index = static_cast<int>(c->logical_index);
      hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(t_, HWLOC_OBJ_PACKAGE, c);
      tc.package = pkg ? static_cast<int>(pkg->logical_index) : 0;
      tc.index_in_package = per_package[tc.package]++;
      tc.pus = bitmap_indexes(c->cpuset);
      tc.numa = numa_of_cpu(tc.pus.empty() ? -1 : tc.pus.front());
      out_->cores.push_back(tc);
    }
    static const hwloc_obj_type_t kCaches[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE,
                                               HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE,
                                               HWLOC_OBJ_L5CACHE};
    for (int level = 1; level <= 5; ++level) {
      int count = hwloc_get_nbobjs_by_type(t_, kCaches[level - 1]);
      if (count <= 0) continue;
      hwloc_obj_t first = hwloc_get_obj_by_type(t_, kCaches[level - 1], 0);
      out_->caches.push_back({level, first->attr->cache.size, count});
    }
    read_devices();
    read_distances();
  }

 private:
  int numa_of_cpu(int cpu) const {
    for (const auto& n : out_->numa)
      if (std::find(n.cpus.begin(), n.cpus.end(), cpu) != n.cpus.end()) return n.os_index;
    return out_->numa.empty() ? -1 : out_->numa.front().os_index;
  }

  void locality(hwloc_obj_t o, std::vector<int>* numa, std::vector<int>* cpus) {
    hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(t_, o);
    if (!anc) return;
    *cpus = bitmap_indexes(anc->cpuset);
    *numa = bitmap_indexes(anc->nodeset);
  }

  void read_devices() {
    std::map<std::string, TopoAccelerator> accels;
    for (hwloc_obj_t o = nullptr; (o = hwloc_get_next_osdev(t_, o));) {
      TopoDevice d;
      d.name = o->name ? o->name : "";
      d.subtype = osdev_subtype(o);
      hwloc_obj_t pci = o->parent && o->parent->type == HWLOC_OBJ_PCI_DEVICE ? o->parent : nullptr;
      if (pci) d.pci_busid = pci_busid(pci);
      locality(o, &d.numa, &d.cpus);
      auto type = o->attr->osdev.type;
      static const std::set<std::string> kGpuSubtypes = {"CUDA", "NVML", "RSMI", "OpenCL",
                                                         "LevelZero"};
      bool gpu = (type == HWLOC_OBJ_OSDEV_GPU || type == HWLOC_OBJ_OSDEV_COPROC) &&
                 kGpuSubtypes.count(d.subtype);
      bool nic = type == HWLOC_OBJ_OSDEV_OPENFABRICS || type == HWLOC_OBJ_OSDEV_NETWORK;
      if (gpu) {
        out_->gpus.push_back(d);
        if (d.subtype != "OpenCL" && !d.pci_busid.empty()) {
          TopoAccelerator& a = accels[d.pci_busid];
          a.pci_busid = d.pci_busid;
          a.names.push_back(d.name);
          a.numa = d.numa;
          a.cpus = d.cpus;
          unsigned vendor = pci->attr->pcidev.vendor_id;
          a.vendor = vendor == 0x10de ? "nvidia" : vendor == 0x1002 ? "amd" : "other";
        }
      } else if (nic) {
        out_->nics.push_back(d);
      }
    }
    // GPUs without OS devices: hwloc builds (Debian's among them) without the CUDA/NVML/RSMI
    // plugins still see the PCI device of an NVIDIA or AMD display controller.
    for (hwloc_obj_t pci = nullptr; (pci = hwloc_get_next_pcidev(t_, pci));) {
      unsigned vendor = pci->attr->pcidev.vendor_id;
      bool display = (pci->attr->pcidev.class_id >> 8) == 0x03;
      if (!display || (vendor != 0x10de && vendor != 0x1002)) continue;
      std::string busid = pci_busid(pci);
      if (accels.count(busid)) continue;
      TopoAccelerator& acc = accels[busid];
      acc.pci_busid = busid;
      acc.vendor = vendor == 0x10de ? "nvidia" : "amd";
      locality(pci, &acc.numa, &acc.cpus);
    }
    for (auto& [busid, a] : accels) {  // std::map: PCI bus id order
      a.index = static_cast<int>(out_->accelerators.size());
      out_->accelerators.push_back(a);
    }
  }

  static std::string object_name(hwloc_obj_t o) {
    if (o->type == HWLOC_OBJ_NUMANODE) return "numa" + std::to_string(o->os_index);
    if (o->type == HWLOC_OBJ_OS_DEVICE && o->name) return o->name;
    if (o->type == HWLOC_OBJ_PCI_DEVICE) return pci_busid(o);
    return std::string(hwloc_obj_type_string(o->type)) + std::to_string(o->logical_index);
  }

  void read_distances() {
    unsigned nr = 0;
    if (hwloc_distances_get(t_, &nr, nullptr, 0, 0) != 0 || nr == 0) return;
    std::vector<hwloc_distances_s*> ds(nr);
    if (hwloc_distances_get(t_, &nr, ds.data(), 0, 0) != 0) return;
    for (unsigned i = 0; i < nr; ++i) {
      hwloc_distances_s* d = ds[i];
      TopoDistances td;
      if (const char* name = hwloc_distances_get_name(t_, d)) td.name = name;
      td.kind = (d->kind & HWLOC_DISTANCES_KIND_MEANS_BANDWIDTH) ? "bandwidth" : "latency";
      for (unsigned k = 0; k < d->nbobjs; ++k)
        td.objects.push_back(d->objs[k] ? object_name(d->objs[k]) : "?");
      for (unsigned r = 0; r < d->nbobjs; ++r) {
        std::vector<std::uint64_t> row(d->values + static_cast<size_t>(r) * d->nbobjs,
                                       d->values + static_cast<size_t>(r + 1) * d->nbobjs);
        td.values.push_back(std::move(row));
      }
      out_->distances.push_back(std::move(td));
      hwloc_distances_release(t_, d);
    }
  }

  hwloc_topology_t t_;
  Topology* out_;
};

}  // namespace

Result<Topology> load_topology(const std::string& xml_path) {
  bool v3 = false;
  if (!xml_path.empty()) {
    auto version = check_xml_version(xml_path);
    if (!version.ok()) return version.status();
    v3 = *version;
  }
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) return Failed("hwloc could not initialize a topology");
  TopologyPtr topo(raw);
  hwloc_topology_set_io_types_filter(raw, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  std::optional<ConvertedXml> v2;
  if (!xml_path.empty()) {
    if (v3) {
      // libhwloc 2 refuses version 3.0: it gets the hwloc 2 form (hwloc_xml_v3.h).
      auto converted = hwloc_v3_to_v2(xml_path);
      if (!converted.ok()) return converted.status();
      v2 = std::move(*converted);
      if (hwloc_topology_set_xmlbuffer(raw, v2->xml.data(), static_cast<int>(v2->xml.size())) != 0)
        return InvalidInput("hwloc cannot read the hwloc 2 form of " + xml_path);
    } else if (hwloc_topology_set_xml(raw, xml_path.c_str()) != 0) {
      return InvalidInput("hwloc cannot read " + xml_path + " as XML");
    }
  }
  if (hwloc_topology_load(raw) != 0)
    return InvalidInput(
        xml_path.empty() ? std::string("hwloc could not read this machine's topology")
                         : "hwloc refused " + xml_path + " (not valid hwloc XML; lstopo --input " +
                               xml_path + " shows hwloc's own message)");
  Topology t;
  t.source = xml_path.empty() ? "this machine" : xml_path;
  if (v2) t.converted_from_v3 = v2->left_out.empty() ? "nothing" : v2->left_out;
  Reader(raw, &t).read();
  if (t.cores.empty()) return InvalidInput(t.source + " has no cores or processing units");
  return t;
}

Json topology_json(const Topology& t) {
  auto device = [](const TopoDevice& d) {
    return Json{{"name", d.name},
                {"subtype", d.subtype},
                {"pci_busid", d.pci_busid},
                {"numa", d.numa},
                {"cpus", d.cpus}};
  };
  Json j;
  j["source"] = t.source;
  if (!t.converted_from_v3.empty())
    j["converted_from_hwloc3"] = {
        {"left_out", t.converted_from_v3 == "nothing" ? std::string() : t.converted_from_v3}};
  j["hostname"] = t.hostname;
  j["architecture"] = t.architecture;
  j["packages"] = t.packages;
  j["cores"] = t.cores.size();
  j["pus"] = t.pu_count();
  j["numa"] = Json::array();
  for (const auto& n : t.numa)
    j["numa"].push_back(
        {{"os_index", n.os_index}, {"package", n.package}, {"memory", n.memory}, {"cpus", n.cpus}});
  j["caches"] = Json::array();
  for (const auto& c : t.caches)
    j["caches"].push_back({{"level", c.level}, {"size", c.size}, {"count", c.count}});
  j["gpus"] = Json::array();
  for (const auto& d : t.gpus) j["gpus"].push_back(device(d));
  j["nics"] = Json::array();
  for (const auto& d : t.nics) j["nics"].push_back(device(d));
  j["accelerators"] = Json::array();
  for (const auto& a : t.accelerators)
    j["accelerators"].push_back({{"index", a.index},
                                 {"pci_busid", a.pci_busid},
                                 {"names", a.names},
                                 {"vendor", a.vendor},
                                 {"numa", a.numa},
                                 {"cpus", a.cpus}});
  j["distances"] = Json::array();
  for (const auto& d : t.distances)
    j["distances"].push_back(
        {{"name", d.name}, {"kind", d.kind}, {"objects", d.objects}, {"values", d.values}});
  return j;
}

std::string topology_text(const Topology& t) {
  std::string s;
  auto gib = [](std::uint64_t b) { return std::to_string((b + (1ull << 29)) >> 30) + " GiB"; };
  int threads = t.cores.empty() ? 0 : static_cast<int>(t.cores.front().pus.size());
  s += t.source + (t.hostname.empty() ? "" : " (" + t.hostname + ")") + ": " +
       std::to_string(t.packages) + " package(s), " + std::to_string(t.numa.size()) +
       " NUMA node(s), " + std::to_string(t.cores.size()) + " cores, " +
       std::to_string(t.pu_count()) + " PUs (" + std::to_string(threads) + " per core)\n";
  if (!t.converted_from_v3.empty())
    s += "  (hwloc 3 XML, read in its hwloc 2 form" +
         (t.converted_from_v3 == "nothing" ? std::string() : "; left out: " + t.converted_from_v3) +
         ")\n";
  for (const auto& c : t.caches)
    s += "  L" + std::to_string(c.level) + ": " + std::to_string(c.count) + " × " +
         std::to_string(c.size >> 10) + " KiB\n";
  for (int p = 0; p < t.packages; ++p) {
    s += "Package " + std::to_string(p) + "\n";
    for (const auto& n : t.numa) {
      if (n.package != p) continue;
      int cores = 0;
      for (const auto& c : t.cores) cores += c.numa == n.os_index;
      s += "  NUMA " + std::to_string(n.os_index) + ": " + gib(n.memory) + ", " +
           std::to_string(cores) + " cores, cpus " + cpu_list(n.cpus) + "\n";
      auto local = [&](const TopoDevice& d) {
        return d.numa.size() == 1 && d.numa.front() == n.os_index;
      };
      for (const auto& a : t.accelerators)
        if (a.numa.size() == 1 && a.numa.front() == n.os_index)
          s += "    GPU " + std::to_string(a.index) + " " + a.pci_busid + " (" +
               join(a.names, ", ") + ")\n";
      for (const auto& d : t.nics)
        if (local(d))
          s += "    NIC " + d.name + " (" + d.subtype +
               (d.pci_busid.empty() ? "" : ", " + d.pci_busid) + ")\n";
    }
  }
  // Devices not local to exactly one NUMA node (attached higher up, e.g. to a package or the
  // machine).
  for (const auto& a : t.accelerators)
    if (a.numa.size() != 1)
      s += "GPU " + std::to_string(a.index) + " " + a.pci_busid + " (" + join(a.names, ", ") +
           "), NUMA " + cpu_list(a.numa) + "\n";
  for (const auto& d : t.nics)
    if (d.numa.size() != 1)
      s += "NIC " + d.name + " (" + d.subtype + "), NUMA " + cpu_list(d.numa) + "\n";
  for (const auto& d : t.distances) {
    s += "Distances (" + d.kind + (d.name.empty() ? "" : ", " + d.name) + "):\n      ";
    for (const auto& o : d.objects)
      s += " " + std::string(8 - std::min<size_t>(8, o.size()), ' ') + o;
    s += "\n";
    for (size_t r = 0; r < d.values.size(); ++r) {
      std::string name = d.objects[r];
      s += "  " + name + std::string(name.size() < 6 ? 6 - name.size() : 0, ' ');
      for (auto v : d.values[r]) {
        std::string x = std::to_string(v);
        s += " " + std::string(8 - std::min<size_t>(8, x.size()), ' ') + x;
      }
      s += "\n";
    }
  }
  return s;
}

}  // namespace slipway::topo
