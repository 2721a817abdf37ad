// The schedulers of multi-fidelity and early-stopped sweeps: ASHA's promotions, Hyperband's
// brackets, what their sampler learns from, median stopping, and the Pareto ranks of
// multi-objective sweeps.
#include <gtest/gtest.h>

#include "tune/asha.h"
#include "tune/early_stopping.h"
#include "tune/pareto.h"

namespace slipway {
namespace {

tune::SweepSpec multi_fidelity(const std::string& algorithm) {
  tune::SweepSpec s;
  s.algorithm.name = algorithm;
  s.min_resource = 1;
  s.max_resource = 9;
  s.eta = 3;
  return s;
}

store::TrialRecord trial(int config, int rung, double budget, const std::string& state,
                         std::optional<double> objective = std::nullopt) {
  store::TrialRecord t;
  t.config = config;
  t.rung = rung;
  t.budget = budget;
  t.state = state;
  t.objective = objective;
  t.point = {0.1 * config};
  return t;
}

TEST(Asha, PromotesAsSoonAsARungHasEtaResultsWithoutWaitingForIt) {
  tune::Asha asha(multi_fidelity("asha"));
  EXPECT_EQ(asha.top_rung(0), 2);
  EXPECT_EQ(asha.budget(0, 1), 3);
  std::vector<store::TrialRecord> trials = {trial(0, 0, 1, "SUCCEEDED", 0.5),
                                            trial(1, 0, 1, "SUCCEEDED", 0.2),
                                            trial(2, 0, 1, "RUNNING")};
  tune::AshaStep s = asha.next(trials, /*maximize=*/false, 3);
  EXPECT_FALSE(s.promote)
      << "two results: the top third of a rung is empty, so a new configuration starts";
  EXPECT_EQ(s.budget, 1);
  trials.push_back(trial(3, 0, 1, "SUCCEEDED", 0.9));
  s = asha.next(trials, false, 4);
  ASSERT_TRUE(s.promote) << "three results, one still running: the best moves up now";
  EXPECT_EQ(trials[*s.promote].config, 1);
  EXPECT_EQ(s.rung, 1);
  EXPECT_EQ(s.budget, 3);
  trials.push_back(trial(1, 1, 3, "RUNNING"));
  EXPECT_FALSE(asha.next(trials, false, 4).promote)
      << "configuration 1 is already a rung up; the next best needs six results";
  EXPECT_EQ(trials[*asha.next(trials, /*maximize=*/true, 4).promote].config, 3)
      << "maximizing, the highest objective moves up";
}

TEST(Asha, HyperbandRunsOneBracketPerStartingRung) {
  tune::Asha hb(multi_fidelity("hyperband"));
  ASSERT_EQ(hb.brackets(), 3);
  EXPECT_EQ(hb.budget(0, 0), 1);
  EXPECT_EQ(hb.budget(1, 0), 3);
  EXPECT_EQ(hb.budget(2, 0), 9);
  EXPECT_EQ(hb.top_rung(2), 0);
  EXPECT_EQ(hb.next({}, false, 4).budget, 3) << "new configurations go to the brackets in turn";
}

TEST(Asha, TheSamplerLearnsFromOneBudgetAndEachConfigurationOnce) {
  std::vector<store::TrialRecord> trials;
  for (int c = 0; c < 6; ++c) trials.push_back(trial(c, 0, 1, "SUCCEEDED", 1.0 + c));
  trials.push_back(trial(0, 1, 3, "SUCCEEDED", 0.4));
  trials.push_back(trial(1, 1, 3, "RUNNING"));
  trials.push_back(trial(6, 0, 1, "RUNNING"));
  // One result at budget 3 is too few to model one dimension (it needs 3): the sampler sees
  // budget 1.
  auto h = tune::multi_fidelity_history(trials, false, 1);
  ASSERT_EQ(h.size(), 7u)
      << "six configurations at budget 1 and the new one running; configuration 1 once";
  EXPECT_TRUE(h[0].finished);
  EXPECT_EQ(h[0].loss, 1.0) << "configuration 0 at budget 1, not its budget-3 result";
  EXPECT_FALSE(h[6].finished);
  trials[7] = trial(1, 1, 3, "SUCCEEDED", 0.6);
  trials.push_back(trial(2, 1, 3, "SUCCEEDED", 0.8));
  h = tune::multi_fidelity_history(trials, /*maximize=*/true, 1);
  ASSERT_EQ(h.size(), 4u) << "three results at budget 3, and configuration 6 still running";
  EXPECT_EQ(h[0].loss, -0.4) << "maximizing: the loss is the negated objective";
  EXPECT_FALSE(h[3].finished);
}

TEST(MedianStop, StopsATrialWorseThanTheMedianOfCompletedOnes) {
  tune::EarlyStopping rule{"medianstop", 3, 2};
  const std::vector<std::vector<double>> done = {{0.5, 0.6, 0.7}, {0.4, 0.5, 0.9}, {0.6, 0.7, 0.8}};
  EXPECT_FALSE(tune::median_stop({0.1}, done, rule, /*maximize=*/true)) << "before start_step";
  EXPECT_TRUE(tune::median_stop({0.1, 0.2}, done, rule, true))
      << "best 0.2 under the median running average 0.55";
  EXPECT_FALSE(tune::median_stop({0.1, 0.6}, done, rule, true));
  EXPECT_FALSE(tune::median_stop({0.1, 0.2}, {done[0], done[1]}, rule, true))
      << "fewer completed trials than min_trials_required";
  EXPECT_TRUE(tune::median_stop({0.9, 0.8}, done, rule, /*maximize=*/false))
      << "minimizing, 0.8 is above the median";
  EXPECT_FALSE(tune::median_stop({0.1, 0.2}, done, tune::EarlyStopping{}, true))
      << "no rule, no stopping";
}

TEST(Pareto, RanksTrialsByNonDomination) {
  tune::Objective o;
  o.maximize = true;
  o.metric = "accuracy";
  o.additional = {"latency"};
  o.additional_maximize = {false};
  o.multi_objective = true;
  auto with = [](double acc, double lat, const std::string& state = "SUCCEEDED") {
    store::TrialRecord t;
    t.state = state;
    t.metrics = {{"accuracy", acc}, {"latency", lat}};
    return t;
  };
  std::vector<store::TrialRecord> trials = {with(0.9, 30),  with(0.8, 10), with(0.7, 20),
                                            with(0.95, 50), with(0.6, 60), with(0.99, 1, "FAILED")};
  EXPECT_EQ(tune::pareto_ranks(o, trials), (std::vector<int>{0, 0, 1, 0, 2, -1}));
}

}  // namespace
}  // namespace slipway
