// The arithmetic of `slipway bench scaling`'s report.
#include "cli/scaling_report.h"

#include <gtest/gtest.h>

namespace slipway::cli {
namespace {

TEST(ScalingReport, SpeedupEfficiencyAndTheRingModel) {
  // Strong scaling, global batch 64: 1 rank takes 0.1 s a step, 4 ranks 0.04 s.
  std::vector<ScalePoint> points = {{1, 64, 0.10, 0.0, 4e6, 0, 0},
                                    {4, 64, 0.04, 0.01, 4e6, 1e-5, 1e9}};
  auto rows = scaling_table(points, false);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[0].throughput, 640);
  EXPECT_DOUBLE_EQ(rows[1].throughput, 1600);
  EXPECT_DOUBLE_EQ(rows[1].speedup, 2.5);
  EXPECT_DOUBLE_EQ(rows[1].efficiency, 0.625);
  EXPECT_DOUBLE_EQ(rows[1].exposed_fraction, 0.25);
  // 2(p−1)α + 2(p−1)/p · S/B = 6e-5 + 1.5 · 4e6 / 1e9 = 0.00606 s
  EXPECT_NEAR(rows[1].model_comm_seconds, 0.00606, 1e-12);
  // Strong: compute 0.1 / 4 = 0.025 s, plus the model's communication.
  EXPECT_NEAR(rows[1].model_throughput, 64 / (0.025 + 0.00606), 1e-9);
  EXPECT_DOUBLE_EQ(rows[0].model_comm_seconds, 0);
}

TEST(ScalingReport, WeakScalingKeepsComputePerRank) {
  std::vector<ScalePoint> points = {{1, 32, 0.1, 0, 1e6, 0, 0},
                                    {2, 64, 0.11, 0.005, 1e6, 2e-5, 5e8}};
  auto rows = scaling_table(points, true);
  EXPECT_NEAR(rows[1].speedup, (64 / 0.11) / 320.0, 1e-12);
  EXPECT_NEAR(rows[1].model_throughput, 64 / (0.1 + 2 * 2e-5 + 1e6 / 5e8), 1e-9);
  std::string svg = scaling_svg(rows, "samples", true);
  EXPECT_NE(svg.find("ring model"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(scaling_text(rows, "samples", true).find("weak scaling"), std::string::npos);
}

}  // namespace
}  // namespace slipway::cli
