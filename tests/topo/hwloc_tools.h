// hwloc's own command-line tools (Debian package hwloc), as the reference the topology tests
// hold slipway's reading to.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/strings.h"
#include "core/subprocess.h"

namespace slipway::test_tools {

inline bool have_hwloc_tools() { return run_command({"hwloc-calc", "--version"}).ok(); }

// hwloc-calc's answer: the OS indexes of the objects of `type` local to an OS device.
inline std::vector<int> hwloc_calc(const std::string& xml, const std::string& osdev,
                                   const std::string& type) {
  auto r = run_command({"hwloc-calc", "--input", xml, "os=" + osdev, "--intersect", type, "--po"});
  EXPECT_TRUE(r.ok() && r->exit_code == 0)
      << xml << " " << osdev << ": " << (r.ok() ? r->err : r.status().message());
  std::vector<int> out;
  if (!r.ok()) return out;
  for (const auto& s : split(trim(r->out), ','))
    if (!s.empty()) out.push_back(std::stoi(s));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace slipway::test_tools
