// CMA-ES: its strategy parameters and updates against the reference values of the `cmaes`
// library 0.13.1 (the implementation behind Optuna's CmaEsSampler), and the sampler's generation
// discipline over a sweep's history.
#include "tune/cma_es.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tune/sampler.h"

namespace slipway {
namespace {

using Solutions = std::vector<std::pair<std::vector<double>, double>>;

Solutions sphere_around(const std::vector<std::vector<double>>& xs, double cx, double cy) {
  Solutions s;
  for (const auto& x : xs) s.emplace_back(x, std::pow(x[0] - cx, 2) + std::pow(x[1] - cy, 2));
  return s;
}

TEST(CmaEs, DefaultStrategyParametersAreTheTutorials) {
  tune::CmaEs two({0.5, 0.5}, 1.0 / 6);
  EXPECT_EQ(two.popsize(), 6);
  EXPECT_NEAR(two.mu_eff(), 2.0286114646100617, 1e-13);
  EXPECT_NEAR(two.c1(), 0.1548153998964136, 1e-13);
  EXPECT_NEAR(two.cmu(), 0.057859085071916304, 1e-13);
  EXPECT_NEAR(two.c_sigma(), 0.44620498737831715, 1e-13);
  EXPECT_NEAR(two.d_sigma(), 1.4462049873783172, 1e-13);
  EXPECT_NEAR(two.cc(), 0.6245545390268264, 1e-13);
  const double w2[] = {0.6370425712412168,   0.28457025743803294, 0.07838717132075033,
                       -0.28638378259655295, -0.7649580940851276, -1.1559817781589212};
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(two.weights()[i], w2[i], 1e-13) << i;

  tune::CmaEs ten(std::vector<double>(10, 0.5), 1.0 / 6);
  EXPECT_EQ(ten.popsize(), 10);
  EXPECT_NEAR(ten.mu_eff(), 3.1672992814107026, 1e-13);
  EXPECT_NEAR(ten.c1(), 0.015283824524751714, 1e-13);
  EXPECT_NEAR(ten.cmu(), 0.02015428276120838, 1e-13);
  EXPECT_NEAR(ten.c_sigma(), 0.28442858794636749, 1e-13);
  EXPECT_NEAR(ten.cc(), 0.29499038303562225, 1e-13);
  EXPECT_NEAR(ten.weights()[0], 0.45627264690340597, 1e-13);
  EXPECT_NEAR(ten.weights()[9], -0.58622182877883533, 1e-13)
      << "active CMA: the worst solutions get negative weights";
}

TEST(CmaEs, TwoGenerationsUpdateAsTheReferenceDoes) {
  tune::CmaEs es({0.5, 0.5}, 1.0 / 6);
  es.tell(sphere_around(
      {{0.3, 0.4}, {0.6, 0.6}, {0.45, 0.55}, {0.7, 0.3}, {0.5, 0.8}, {0.35, 0.65}}, 0.2, 0.7));
  EXPECT_NEAR(es.mean()[0], 0.37453766717776577, 1e-12);
  EXPECT_NEAR(es.mean()[1], 0.6019461814260092, 1e-12);
  EXPECT_NEAR(es.sigma(), 0.16245859368979804, 1e-12);
  EXPECT_NEAR(es.cov()[0], 0.9946456782352645, 1e-12);
  EXPECT_NEAR(es.cov()[1], -0.1296739411176373, 1e-12);
  EXPECT_NEAR(es.cov()[3], 0.9046675921614535, 1e-12);
  EXPECT_NEAR(es.p_sigma()[0], -0.8927464220315169, 1e-12);
  EXPECT_NEAR(es.p_c()[1], 0.8074739548948074, 1e-12);

  es.tell(sphere_around(
      {{0.25, 0.62}, {0.40, 0.70}, {0.33, 0.58}, {0.45, 0.52}, {0.30, 0.75}, {0.38, 0.64}}, 0.2,
      0.7));
  EXPECT_NEAR(es.mean()[0], 0.27049948657756168, 1e-12);
  EXPECT_NEAR(es.mean()[1], 0.6538586466141143, 1e-12);
  EXPECT_NEAR(es.sigma(), 0.17021489359473671, 1e-12);
  EXPECT_NEAR(es.cov()[0], 1.0944240295133452, 1e-12);
  EXPECT_NEAR(es.cov()[1], -0.21592755637777344, 1e-12);
  EXPECT_NEAR(es.cov()[2], -0.21592755637777339, 1e-12);
  EXPECT_NEAR(es.cov()[3], 0.7483763603518232, 1e-12);
  EXPECT_NEAR(es.p_sigma()[0], -1.2343362607072965, 1e-12);
  EXPECT_NEAR(es.p_sigma()[1], 0.74911626306441992, 1e-12);
  EXPECT_NEAR(es.p_c()[0], -1.2184821447723027, 1e-12);
  EXPECT_NEAR(es.p_c()[1], 0.72499030403378784, 1e-12);
}

TEST(CmaEs, SamplesStayInTheUnitCube) {
  tune::CmaEs es({0.02, 0.98}, 0.5);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i)
    for (double x : es.ask(rng)) {
      EXPECT_GE(x, 0.0);
      EXPECT_LE(x, 1.0);
    }
}

TEST(CmaEs, ConvergesOnASphereAndThenStops) {
  tune::CmaEs es({0.5, 0.5, 0.5}, 1.0 / 6);
  std::mt19937_64 rng(3);
  int generations = 0;
  while (!es.should_stop() && generations < 2000) {
    Solutions s;
    for (int i = 0; i < es.popsize(); ++i) {
      auto x = es.ask(rng);
      s.emplace_back(x,
                     std::pow(x[0] - 0.3, 2) + std::pow(x[1] - 0.6, 2) + std::pow(x[2] - 0.45, 2));
    }
    es.tell(std::move(s));
    ++generations;
  }
  EXPECT_LT(generations, 2000) << "a stopping criterion ends a converged run";
  EXPECT_NEAR(es.mean()[0], 0.3, 1e-5);
  EXPECT_NEAR(es.mean()[1], 0.6, 1e-5);
  EXPECT_NEAR(es.mean()[2], 0.45, 1e-5);
}

tune::SweepSpec cmaes_spec(const std::string& settings, int parallel = 1) {
  auto s = tune::parse_sweep(
      "objective: {minimize: f}\nalgorithm: {name: cmaes, settings: {" + settings +
          "}}\nparallel: " + std::to_string(parallel) +
          "\nparameters: {x: {type: double, min: 0, max: 1}, y: {type: double, min: 0, max: "
          "1}}\ntrial: {command: [run]}\n",
      "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return *s;
}

TEST(CmaEsSampler, AGenerationWaitsForTheLastTrialOfTheOneBefore) {
  auto sampler = tune::make_sampler(cmaes_spec(""));
  ASSERT_TRUE(sampler.ok()) << sampler.status().message();
  std::vector<tune::Observation> h;
  auto first = (*sampler)->suggest(h, 10);
  ASSERT_EQ(first.size(), 6u) << "one generation of popsize 6 for two parameters";
  for (const auto& u : first) h.push_back({u, 0.0, false});
  EXPECT_TRUE((*sampler)->suggest(h, 1).empty()) << "the next generation needs these results";
  for (size_t i = 0; i < 5; ++i) h[i] = {h[i].u, std::pow(h[i].u[0] - 0.9, 2), true};
  EXPECT_TRUE((*sampler)->suggest(h, 1).empty()) << "one trial of the generation still runs";
  // The running trial fails: it leaves the history, and the generation draws its replacement
  // from the same distribution.
  h.pop_back();
  auto replacement = (*sampler)->suggest(h, 3);
  ASSERT_EQ(replacement.size(), 1u);
  h.push_back({replacement[0], std::pow(replacement[0][0] - 0.9, 2), true});
  auto second = (*sampler)->suggest(h, 6);
  ASSERT_EQ(second.size(), 6u);
  double mean_x = 0;
  for (const auto& u : second) mean_x += u[0] / 6;
  EXPECT_GT(mean_x, 0.5) << "the second generation moves toward the better side, x near 0.9";
  EXPECT_EQ((*sampler)->suggest(h, 6), second) << "a function of the history: resumable";
}

TEST(CmaEsSampler, ParallelTrialsWidenThePopulation) {
  auto sampler = tune::make_sampler(cmaes_spec("", 8));
  ASSERT_TRUE(sampler.ok());
  EXPECT_EQ((*sampler)->suggest({}, 20).size(), 8u) << "no slot waits within a generation";
}

TEST(CmaEsSampler, IpopRestartsWithADoubledPopulation) {
  // A flat objective: tolfun stops each run once its loss history fills, and ipop restarts with
  // twice the population: 6, 12, 24...
  auto sampler = tune::make_sampler(cmaes_spec("restart_strategy: ipop"));
  ASSERT_TRUE(sampler.ok());
  std::vector<tune::Observation> h;
  std::vector<size_t> sizes;
  for (int round = 0; round < 40; ++round) {
    auto points = (*sampler)->suggest(h, 100);
    if (sizes.empty() || sizes.back() != points.size()) sizes.push_back(points.size());
    for (const auto& u : points) h.push_back({u, 1.0, true});
  }
  ASSERT_GE(sizes.size(), 3u);
  EXPECT_EQ(sizes[0], 6u);
  EXPECT_EQ(sizes[1], 12u);
  EXPECT_EQ(sizes[2], 24u);
  auto plain = tune::make_sampler(cmaes_spec(""));
  h.clear();
  for (int round = 0; round < 40; ++round)
    for (const auto& u : (*plain)->suggest(h, 100)) h.push_back({u, 1.0, true});
  EXPECT_EQ((*plain)->suggest(h, 100).size(), 6u) << "without a restart strategy, no restart";
}

TEST(CmaEsSampler, BadSettingsAreRefusedWithTheirRange) {
  auto bad = tune::make_sampler(cmaes_spec("restart_strategy: sometimes"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("none, ipop or bipop"), std::string::npos);
  bad = tune::make_sampler(cmaes_spec("sigma: 3"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("(0, 1]"), std::string::npos);
}

}  // namespace
}  // namespace slipway
