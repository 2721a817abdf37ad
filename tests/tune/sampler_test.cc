// The search space's encoding and the samplers: determinism, coverage, and that TPE learns.
#include "tune/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <tuple>

#include "tune/sorted_history.h"

namespace slipway {
namespace {

tune::SweepSpec spec_with(const std::string& algorithm, const std::string& params) {
  auto s = tune::parse_sweep("objective: {minimize: f}\nalgorithm: " + algorithm +
                                 "\nparameters: " + params + "\ntrial: {command: [run]}\n",
                             "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return *s;
}

TEST(SearchSpace, MapsTheUnitCubeToEachKindAndBack) {
  auto s = spec_with(
      "random",
      "{lr: {type: double, min: 1e-4, max: 1e-1, log: true}, n: {type: int, min: 2, max: 5}, "
      "opt: {type: categorical, values: [sgd, adam]}, m: {type: discrete, values: [0.5, 0.9]}, "
      "w: {type: double, min: 0, max: 1, step: 0.25}}");
  const tune::SearchSpace& sp = s.space;
  Json v = sp.decode({0.5, 0.99, 0.7, 0.1, 0.6});
  EXPECT_NEAR(v["lr"].get<double>(), std::sqrt(1e-4 * 1e-1), 1e-12)
      << "the middle of a log scale is the geometric mean";
  EXPECT_EQ(v["n"].get<int>(), 5);
  EXPECT_EQ(v["opt"], "adam");
  EXPECT_EQ(v["m"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(v["w"].get<double>(), 0.5);
  Json back = sp.decode(sp.encode(v));
  EXPECT_EQ(back, v) << "encode is decode's inverse on the values it produces";
  EXPECT_EQ(tune::SearchSpace::format(Json(0.1)), "0.1");
  EXPECT_EQ(tune::SearchSpace::format(Json(1e-4)), "0.0001");
  EXPECT_EQ(tune::SearchSpace::format(Json(3)), "3");
}

TEST(SearchSpace, NormalPriorsFollowKatibsMeanAndSigmaWithinTheRange) {
  // Katib's normal: mean (min + max) / 2, σ = (max - min) / 6; logNormal the same in log space.
  // Uniform draws in the cube become those normals, truncated to [min, max].
  auto s = tune::parse_sweep(
      "apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nmetadata: {name: n}\nspec:\n"
      "  objective: {type: minimize, objectiveMetricName: loss}\n"
      "  algorithm: {algorithmName: random}\n  parameters:\n"
      "  - {name: m, parameterType: double, feasibleSpace: {min: '0', max: '6', distribution: "
      "normal}}\n"
      "  - {name: lr, parameterType: double, feasibleSpace: {min: '1e-4', max: '1', distribution: "
      "logNormal}}\n"
      "  trialTemplate:\n    trialParameters: [{name: m, reference: m}]\n"
      "    trialSpec: {apiVersion: batch/v1, kind: Job, spec: {template: {spec: {containers: "
      "[{name: t, command: [echo, '${trialParameters.m}']}]}}}}\n",
      "n.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  const tune::SearchSpace& sp = s->space;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double sum = 0, sum_sq = 0, log_sum = 0, lo = 1e9, hi = -1e9;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    Json v = sp.decode({u(rng), u(rng)});
    double m = v["m"].get<double>(), lr = v["lr"].get<double>();
    sum += m, sum_sq += m * m, log_sum += std::log10(lr);
    lo = std::min(lo, m), hi = std::max(hi, m);
    ASSERT_GE(lr, 1e-4);
    ASSERT_LE(lr, 1.0);
  }
  const double mean = sum / n, sd = std::sqrt(sum_sq / n - mean * mean);
  EXPECT_NEAR(mean, 3.0, 0.03);
  EXPECT_NEAR(sd, 0.986, 0.02) << "σ 1, truncated at ±3σ: 0.9866";
  EXPECT_GE(lo, 0.0);
  EXPECT_LE(hi, 6.0);
  EXPECT_NEAR(log_sum / n, -2.0, 0.03) << "logNormal: the geometric middle of 1e-4 and 1";
  EXPECT_NEAR(sp.decode({0.5, 0.5})["m"].get<double>(), 3.0, 1e-12);
  EXPECT_NEAR(sp.decode(sp.encode(Json{{"m", 1.25}, {"lr", 0.02}}))["m"].get<double>(), 1.25, 1e-9)
      << "encode is decode's inverse through the normal warp";
}

TEST(Samplers, AreDeterministicAndResumeWhereTheyLeftOff) {
  for (std::string alg : {"random", "sobol", "tpe", "multivariate-tpe"}) {
    auto s =
        spec_with(alg, "{x: {type: double, min: 0, max: 1}, y: {type: double, min: 0, max: 1}}");
    auto a = tune::make_sampler(s), b = tune::make_sampler(s);
    ASSERT_TRUE(a.ok() && b.ok()) << alg;
    std::vector<tune::Observation> hist;
    for (int i = 0; i < 14; ++i) {
      auto p = (*a)->suggest(hist, 1);
      ASSERT_EQ(p.size(), 1u);
      hist.push_back({p[0], std::pow(p[0][0] - 0.3, 2) + std::pow(p[0][1] - 0.7, 2), true});
    }
    // A fresh sampler with the same history (a resumed sweep) suggests the same next points.
    EXPECT_EQ((*a)->suggest(hist, 3), (*b)->suggest(hist, 3)) << alg;
  }
}

// What a fresh sort of h's finished trials along d gives (ties by trial).
std::vector<std::uint32_t> sorted_along(const std::vector<tune::Observation>& h, size_t d) {
  std::vector<std::uint32_t> o;
  for (size_t i = 0; i < h.size(); ++i)
    if (h[i].finished) o.push_back(static_cast<std::uint32_t>(i));
  std::stable_sort(o.begin(), o.end(), [&](auto a, auto b) { return h[a].u[d] < h[b].u[d]; });
  return o;
}

TEST(Samplers, TpeKeptOrderFollowsTheHistoryItIsGiven) {
  // TPE keeps the finished trials' order along each dimension between suggestions; it must stay
  // what a fresh sort gives as trials finish out of order, and start over when the history is
  // not an extension of the last one.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<tune::Observation> h;
  tune::SortedHistory kept;
  auto same_as_fresh = [&] {
    kept.sync(h, 2);
    for (size_t d = 0; d < 2; ++d)
      if (kept.order(d) != sorted_along(h, d)) return false;
    return kept.ready(h.size());
  };
  for (int round = 0; round < 60; ++round) {
    for (int k = 0; k < 3; ++k)
      h.push_back({{unit(rng), std::floor(unit(rng) * 4) / 4}, 0.0, false});  // ties along y
    for (size_t i = h.size() - 3; i-- > 0 && !h[i].finished;)
      h[i].finished = true;  // the batch before, latest first
    ASSERT_TRUE(same_as_fresh()) << "round " << round;
  }
  h[40].u[0] = 1 - h[40].u[0];  // an edited trial
  EXPECT_TRUE(same_as_fresh());
  h[41].finished = false;  // a trial running again (retried)
  EXPECT_TRUE(same_as_fresh());
  h.resize(120);  // a shorter history
  EXPECT_TRUE(same_as_fresh());
  EXPECT_FALSE(kept.ready(h.size() + 1)) << "a history of another length was not synced";
}

TEST(Samplers, TpeSuggestsWhatAFreshSamplerWouldPastManyTrials) {
  auto s = spec_with("tpe",
                     "{x: {type: double, min: 0, max: 1}, y: {type: double, min: 0, max: 1}, c: "
                     "{type: categorical, values: [a, b, c]}}");
  auto a = tune::make_sampler(s);
  ASSERT_TRUE(a.ok());
  auto loss = [](const std::vector<double>& u) {
    return std::pow(u[0] - 0.3, 2) + std::abs(u[1] - 0.6) + (u[2] < 0.34 ? 0.0 : 0.2);
  };
  std::vector<tune::Observation> hist;
  while (hist.size() < 160) {
    auto batch = (*a)->suggest(hist, 3);
    for (const auto& p : batch) hist.push_back({p, 0.0, false});
    for (size_t i = hist.size() - batch.size(); i-- > 0 && !hist[i].finished;)
      hist[i] = {hist[i].u, loss(hist[i].u), true};
  }
  EXPECT_EQ((*a)->suggest(hist, 2), (*tune::make_sampler(s))->suggest(hist, 2));
}

TEST(Samplers, GridVisitsEveryPointOnceThenStops) {
  auto s =
      spec_with("grid", "{a: {type: int, min: 1, max: 3}, b: {type: categorical, values: [x, y]}}");
  auto g = tune::make_sampler(s);
  ASSERT_TRUE(g.ok());
  std::vector<tune::Observation> hist;
  std::set<std::string> seen;
  for (int i = 0; i < 10; ++i) {
    auto p = (*g)->suggest(hist, 4);
    for (auto& u : p) {
      seen.insert(s.space.decode(u).dump());
      hist.push_back({u, 0, true});
    }
    if (p.empty()) break;
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(hist.size(), 6u);
  auto continuous = spec_with("grid", "{x: {type: double, min: 0, max: 1}}");
  auto refused = tune::make_sampler(continuous);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("give it feasibleSpace.step"), std::string::npos);
}

TEST(Samplers, SobolStratifiesEveryDimension) {
  // The first 2^k points of a Sobol sequence (from index 0) put exactly one point in each of the
  // 2^k equal intervals of every coordinate.
  const int dims = tune::kSobolMaxDims;
  std::vector<std::vector<double>> pts;
  for (int i = 0; i < 64; ++i)
    pts.push_back(tune::sobol_point(static_cast<std::uint64_t>(i), dims));
  for (int d = 0; d < dims; ++d) {
    std::set<int> cells;
    for (const auto& p : pts) cells.insert(static_cast<int>(p[static_cast<size_t>(d)] * 64));
    EXPECT_EQ(cells.size(), 64u) << "dimension " << d;
  }
  // And the sequence is Joe and Kuo's: points 777 and 1000 in units of 2^-10, as their
  // new-joe-kuo-6.21201 direction numbers give them (the values scipy.stats.qmc.Sobol prints).
  const std::vector<std::vector<int>> published = {
      {709, 959, 167, 281, 651, 365, 195, 781, 357, 331, 763,
       713, 393, 485, 583, 527, 413, 885, 379, 771, 243},
      {225, 99,  531, 693, 287, 929, 47,  921,  513, 71, 87,
       261, 165, 393, 147, 379, 737, 353, 1015, 743, 535}};
  const std::uint64_t index[] = {777, 1000};
  for (size_t k = 0; k < 2; ++k) {
    auto p = tune::sobol_point(index[k], dims);
    for (int d = 0; d < dims; ++d)
      EXPECT_EQ(p[static_cast<size_t>(d)] * 1024, published[k][static_cast<size_t>(d)])
          << "point " << index[k] << " dimension " << d;
  }
}

// Best loss after n evaluations of f, averaged over seeds.
double mean_best(const std::string& alg, int n, int seeds,
                 double (*f)(const std::vector<double>&)) {
  double total = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    auto s = spec_with(alg,
                       "{x: {type: double, min: 0, max: 1}, y: {type: double, min: 0, max: 1}, z: "
                       "{type: double, min: 0, max: 1}}");
    s.seed = static_cast<std::uint64_t>(seed);
    auto sampler = tune::make_sampler(s);
    std::vector<tune::Observation> hist;
    double best = INFINITY;
    for (int i = 0; i < n; ++i) {
      auto u = (*sampler)->suggest(hist, 1)[0];
      double y = f(u);
      best = std::min(best, y);
      hist.push_back({u, y, true});
    }
    total += best;
  }
  return total / seeds;
}

double sphere(const std::vector<double>& u) {
  return std::pow(u[0] - 0.2, 2) + std::pow(u[1] - 0.8, 2) + std::pow(u[2] - 0.5, 2);
}

TEST(Samplers, TpeFindsBetterPointsThanRandomSearch) {
  // On a smooth bowl, after the 10 random start-up trials TPE concentrates where the good trials
  // are: over 10 seeds its best after 60 evaluations is clearly better than random search's.
  double random = mean_best("random", 60, 10, sphere), tpe = mean_best("tpe", 60, 10, sphere),
         mtpe = mean_best("multivariate-tpe", 60, 10, sphere);
  EXPECT_LT(tpe, 0.5 * random) << "tpe " << tpe << " random " << random;
  EXPECT_LT(mtpe, 0.5 * random) << "multivariate tpe " << mtpe << " random " << random;
}

TEST(Samplers, BayesianOptimizationBeatsTpeAndRandomOnASmoothFunction) {
  // The GP models the bowl from few points: after 30 evaluations it is far ahead of both.
  double random = mean_best("random", 30, 5, sphere), tpe = mean_best("tpe", 30, 5, sphere),
         gp = mean_best("bayesianoptimization", 30, 5, sphere);
  EXPECT_LT(gp, 0.2 * random) << "gp " << gp << " random " << random;
  EXPECT_LT(gp, tpe) << "gp " << gp << " tpe " << tpe;
}

// Runs `rounds` suggestions of `algorithm` on an integer, a categorical and a stepped double (in
// pairs past `batches_from`, one of them left running) and checks every point is one a trial can
// take (the centre of its value's cell) and that the optimum is found.
void expect_grid_points_and_the_optimum(const char* algorithm, int rounds, int batches_from) {
  auto s = spec_with(algorithm,
                     "{n: {type: int, min: 1, max: 6}, c: {type: categorical, values: [a, b, c]}, "
                     "x: {type: double, min: 0, max: 1, step: 0.1}}");
  auto sampler = tune::make_sampler(s);
  ASSERT_TRUE(sampler.ok());
  std::vector<tune::Observation> hist;
  for (int i = 0; i < rounds; ++i) {
    auto batch = (*sampler)->suggest(hist, i >= batches_from ? 2 : 1);
    ASSERT_FALSE(batch.empty());
    for (size_t k = 0; k < batch.size(); ++k) {
      const auto& u = batch[k];
      EXPECT_EQ(s.space.encode(s.space.decode(u)), u)
          << algorithm << ": trial " << hist.size() << " is not a point of the grid";
      Json v = s.space.decode(u);
      double loss = std::pow(v["n"].get<int>() - 4, 2) + (v["c"] == "b" ? 0 : 1) +
                    std::fabs(v["x"].get<double>() - 0.7);
      hist.push_back({u, loss, k == 0});
    }
  }
  double best = INFINITY;
  for (const auto& h : hist)
    if (h.finished) best = std::min(best, h.loss);
  EXPECT_LT(best, 0.15) << algorithm << " finds n = 4, c = b, x near 0.7";
}

TEST(Samplers, BayesianOptimizationStartsAtTheCentreOfTheSpace) {
  // The first trial is the middle of every range (the geometric mean on a log scale), as a user
  // who drew the ranges around a setting known to work would try first; the next ones spread out.
  auto s = spec_with("bayesianoptimization",
                     "{lr: {type: double, min: 1e-4, max: 1e-2, log: true}, "
                     "n: {type: int, min: 2, max: 6}, x: {type: double, min: -1, max: 3}}");
  auto sampler = tune::make_sampler(s);
  ASSERT_TRUE(sampler.ok());
  std::vector<tune::Observation> hist;
  Json first = s.space.decode((*sampler)->suggest(hist, 1).at(0));
  EXPECT_NEAR(first["lr"].get<double>(), 1e-3, 1e-9);
  EXPECT_EQ(first["n"].get<int>(), 4);
  EXPECT_NEAR(first["x"].get<double>(), 1.0, 1e-9);
  hist.push_back({s.space.encode(first), 1.0, true});
  Json second = s.space.decode((*sampler)->suggest(hist, 1).at(0));
  EXPECT_NE(second, first);
}

TEST(Samplers, BayesianOptimizationSuggestsOnlyValuesTrialsCanTake) {
  expect_grid_points_and_the_optimum("bayesianoptimization", 25, 12);
}

TEST(Samplers, ModelsLeaveOutLossesThatAreNotFinite) {
  // Trials whose loss is nan or infinite (the Sampler API's callers may pass them) are left out:
  // the suggestions stay finite points in the cube and still home in on the minimum.
  for (const auto& [algorithm, rounds, within] : {std::tuple{"bayesianoptimization", 32, 1e-3},
                                                  {"tpe", 80, 1e-2},
                                                  {"multivariate-tpe", 80, 1e-2}}) {
    auto s = spec_with(algorithm, "{x: {type: double, min: 0, max: 1}}");
    auto sampler = tune::make_sampler(s);
    ASSERT_TRUE(sampler.ok());
    std::vector<tune::Observation> hist;
    for (int i = 0; i < rounds; ++i) {  // half of them not finite
      auto u = (*sampler)->suggest(hist, 1).at(0);
      ASSERT_TRUE(std::isfinite(u[0]) && u[0] >= 0 && u[0] < 1) << algorithm << ": trial " << i;
      const double loss = i % 4 == 1 ? NAN : i % 4 == 3 ? INFINITY : std::pow(u[0] - 0.3, 2);
      hist.push_back({u, loss, true});
    }
    double best = INFINITY;
    for (const auto& h : hist)
      if (std::isfinite(h.loss)) best = std::min(best, h.loss);
    EXPECT_LT(best, within) << algorithm;
  }
}

TEST(Samplers, TpeSuggestsOnlyValuesTrialsCanTake) {
  // Both TPEs put every point at the centre of its value's cell, from the first random trials on,
  // so two trials that took the same integer share one kernel.
  expect_grid_points_and_the_optimum("tpe", 60, 30);
  expect_grid_points_and_the_optimum("multivariate-tpe", 60, 30);
}

TEST(Samplers, RunningTrialsSpreadParallelSuggestions) {
  auto s = spec_with("tpe", "{x: {type: double, min: 0, max: 1}}");
  auto t = tune::make_sampler(s);
  std::vector<tune::Observation> hist;
  for (int i = 0; i < 20; ++i) hist.push_back({{i / 20.0}, std::fabs(i / 20.0 - 0.5), true});
  auto batch = (*t)->suggest(hist, 4);
  ASSERT_EQ(batch.size(), 4u);
  std::set<double> distinct;
  for (const auto& p : batch) distinct.insert(p[0]);
  EXPECT_EQ(distinct.size(), 4u);
}

}  // namespace
}  // namespace slipway
