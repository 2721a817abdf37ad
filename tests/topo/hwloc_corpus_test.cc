// The real hwloc XML corpus (shared/corpora/hwloc-xml: hwloc's own test topologies, LLNL's and
// Flux's machines; hwloc 1.x, 2.x and 3.0 exports). Every file is read; for every file that
// Debian's hwloc tools (2.9) read too, each GPU's and NIC's NUMA nodes are what hwloc-calc says;
// every hwloc 3.0 file's hwloc 2 form is read by hwloc's own lstopo; and the machines exported
// in both formats read the same from either.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "tests/topo/hwloc_tools.h"
#include "topo/hwloc_xml_v3.h"
#include "topo/topology.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;

fs::path corpus() {
  const char* env = std::getenv("SLIPWAY_CORPORA");
  return fs::path(env ? env : std::string(SLIPWAY_SOURCE_DIR) + "/../shared/corpora") / "hwloc-xml";
}

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(corpus(), ec))
    if (e.path().extension() == ".xml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string head_of(const fs::path& p) {
  std::ifstream in(p);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

using test_tools::have_hwloc_tools;

std::vector<int> numa_of_osdev(const std::string& xml, const std::string& osdev) {
  return test_tools::hwloc_calc(xml, osdev, "NUMAnode");
}

TEST(HwlocCorpus, EveryFileIsRead) {
  auto files = corpus_files();
  if (files.empty()) GTEST_SKIP() << "no corpus at " << corpus() << " (set SLIPWAY_CORPORA)";
  int v3 = 0;
  for (const auto& f : files) {
    auto t = topo::load_topology(f.string());
    EXPECT_TRUE(t.ok()) << f.filename() << ": " << t.status().message();
    if (t.ok() && !t->converted_from_v3.empty()) ++v3;
  }
  EXPECT_EQ(files.size(), 105u);
  EXPECT_EQ(v3, 49) << "hwloc 3.0 files, read through their hwloc 2 form";
}

TEST(HwlocCorpus, DevicesAgreeWithHwlocCalcWhereHwloc2ReadsTheFile) {
  auto files = corpus_files();
  if (files.empty()) GTEST_SKIP() << "no corpus at " << corpus();
  if (!have_hwloc_tools()) GTEST_SKIP() << "hwloc-calc is not installed (Debian package hwloc)";
  int devices = 0, files_with_devices = 0;
  for (const auto& f : files) {
    if (topo::is_hwloc_v3_xml(head_of(f))) continue;
    auto t = topo::load_topology(f.string());
    ASSERT_TRUE(t.ok()) << f.filename() << ": " << t.status().message();
    std::vector<topo::TopoDevice> all = t->gpus;
    all.insert(all.end(), t->nics.begin(), t->nics.end());
    files_with_devices += !all.empty();
    for (const auto& d : all) {
      std::vector<int> numa = d.numa;
      std::sort(numa.begin(), numa.end());
      EXPECT_EQ(numa, numa_of_osdev(f.string(), d.name)) << f.filename() << " " << d.name;
      ++devices;
    }
  }
  EXPECT_GE(files_with_devices, 15);
  EXPECT_GE(devices, 150) << "GPUs and NICs checked";
}

TEST(HwlocCorpus, TheHwloc2FormOfEveryHwloc3FileIsReadByLstopo) {
  auto files = corpus_files();
  if (files.empty()) GTEST_SKIP() << "no corpus at " << corpus();
  if (!have_hwloc_tools()) GTEST_SKIP() << "lstopo is not installed (Debian package hwloc)";
  const fs::path dir = fs::temp_directory_path() / ("hwloc-v2-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  int converted = 0;
  for (const auto& f : files) {
    if (!topo::is_hwloc_v3_xml(head_of(f))) continue;
    auto v2 = topo::hwloc_v3_to_v2(f.string());
    ASSERT_TRUE(v2.ok()) << f.filename() << ": " << v2.status().message();
    const fs::path out = dir / f.filename();
    std::ofstream(out) << v2->xml;
    auto r = run_command({"lstopo-no-graphics", "--input", out.string(), "--of", "console"});
    EXPECT_TRUE(r.ok() && r->exit_code == 0)
        << f.filename() << ": " << (r.ok() ? r->err : r.status().message());
    // And each GPU and NIC of it sits where hwloc-calc, reading that form, puts it.
    auto t = topo::load_topology(f.string());
    ASSERT_TRUE(t.ok());
    std::vector<topo::TopoDevice> all = t->gpus;
    all.insert(all.end(), t->nics.begin(), t->nics.end());
    for (const auto& d : all) {
      std::vector<int> numa = d.numa;
      std::sort(numa.begin(), numa.end());
      EXPECT_EQ(numa, numa_of_osdev(out.string(), d.name)) << f.filename() << " " << d.name;
    }
    ++converted;
  }
  fs::remove_all(dir);
  EXPECT_EQ(converted, 49);
}

// What placement reads of a machine, to compare two exports of it.
std::string summary(const topo::Topology& t) {
  std::string s = "packages " + std::to_string(t.packages) + " cores " +
                  std::to_string(t.cores.size()) + " pus " + std::to_string(t.pu_count()) + "\n";
  for (const auto& n : t.numa)
    s += "numa " + std::to_string(n.os_index) + " " + std::to_string(n.memory) + " cpus " +
         topo::cpu_list(n.cpus) + "\n";
  for (const auto* list : {&t.gpus, &t.nics})
    for (const auto& d : *list)
      s += d.name + " " + d.subtype + " " + d.pci_busid + " numa " + topo::cpu_list(d.numa) +
           " cpus " + topo::cpu_list(d.cpus) + "\n";
  for (const auto& d : t.distances)
    s += "distances " + d.name + " " + std::to_string(d.objects.size()) + "\n";
  return s;
}

TEST(HwlocCorpus, AMachineExportedAsHwloc2AndHwloc3ReadsTheSame) {
  auto files = corpus_files();
  if (files.empty()) GTEST_SKIP() << "no corpus at " << corpus();
  // Pairs: the same stem with .v2 and .v3 (hwloc's own), or .v3tov2 and .v2tov3 conversions.
  std::map<std::string, std::map<std::string, fs::path>> by_stem;
  for (const auto& f : files) {
    std::string name = f.filename().string();
    name = name.substr(name.find('@') + 1);  // a deleted file's commit prefix
    for (const char* v : {".v2tov3.xml", ".v3tov2.xml", ".v2.xml", ".v3.xml"})
      if (name.size() > std::strlen(v) &&
          name.compare(name.size() - std::strlen(v), std::strlen(v), v) == 0) {
        std::string stem = name.substr(0, name.size() - std::strlen(v));
        by_stem[stem][v] = f;
        break;
      }
  }
  int pairs = 0;
  for (const auto& [stem, versions] : by_stem) {
    std::vector<fs::path> v2, v3;
    for (const auto& [v, f] : versions) (topo::is_hwloc_v3_xml(head_of(f)) ? v3 : v2).push_back(f);
    for (const auto& a : v2)
      for (const auto& b : v3) {
        auto ta = topo::load_topology(a.string());
        auto tb = topo::load_topology(b.string());
        ASSERT_TRUE(ta.ok() && tb.ok()) << stem;
        EXPECT_EQ(summary(*ta), summary(*tb)) << a.filename() << " against " << b.filename();
        ++pairs;
      }
  }
  EXPECT_GE(pairs, 2) << "cxlmem+dax as .v2/.v3 and as .v3tov2/.v2tov3";
}

}  // namespace
}  // namespace slipway
