#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/files.h"
#include "core/strings.h"

namespace slipway {
namespace {

TEST(LastLine, SkipsBlankLinesAndTrims) {
  EXPECT_EQ(last_line("Traceback ...\n  File x\nValueError: bad input  \n\n \n"),
            "ValueError: bad input");
  EXPECT_EQ(last_line(""), "");
  EXPECT_EQ(last_line("\n\n"), "");
}

TEST(LastLine, OfAFileReadsOnlyItsEndAndCutsALongLine) {
  const auto path = std::filesystem::temp_directory_path() / "slipway_last_line_test.err";
  {
    std::ofstream f(path);
    for (int i = 0; i < 10000; ++i) f << "progress " << i << "\n";
    f << std::string(1000, 'x') << "\n\n";
  }
  const std::string line = last_line_of(path);
  EXPECT_EQ(line.size(), 603u);
  EXPECT_EQ(line.substr(600), "...");
  EXPECT_EQ(last_line_of(path.string() + ".missing"), "");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace slipway
