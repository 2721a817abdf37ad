// Population-based training's decisions: truncation selection (numpy's quantiles, as Katib's
// pbt computes them), exploit and explore, waiting for a generation, retrying a failed member,
// and Katib's settings and checkpoint path.
#include "tune/pbt.h"

#include <gtest/gtest.h>

namespace slipway {
namespace {

tune::SweepSpec pbt_spec(const std::string& settings, const std::string& params =
                                                          "{lr: {type: double, min: 0.0001, max: "
                                                          "1}, layers: {type: int, min: 1, max: "
                                                          "8}, opt: {type: categorical, values: "
                                                          "[sgd, adam, ftrl]}}") {
  auto s = tune::parse_sweep("objective: {maximize: acc}\nalgorithm: {name: pbt, settings: {" +
                                 settings + "}}\nparameters: " + params +
                                 "\ntrial: {command: [run, '${lr}', '${checkpoint_dir}']}\n",
                             "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return *s;
}

store::TrialRecord trial(int number, int member, int generation, int parent, const Json& params,
                         const std::string& state, std::optional<double> acc) {
  store::TrialRecord t;
  t.number = number;
  t.config = member;
  t.rung = generation;
  t.parent = parent;
  t.params = params;
  t.state = state;
  t.objective = acc;
  return t;
}

Json params(double lr, int layers, const std::string& opt) {
  return {{"lr", lr}, {"layers", layers}, {"opt", opt}};
}

TEST(Pbt, QuantilesInterpolateAsNumpysDefault) {
  EXPECT_DOUBLE_EQ(tune::linear_quantile({3.0, 1.0, 4.0, 1.5, 9.0, 2.6}, 0.2), 1.5);
  EXPECT_DOUBLE_EQ(tune::linear_quantile({3.0, 1.0, 4.0, 1.5, 9.0, 2.6}, 0.8), 4.0);
  EXPECT_DOUBLE_EQ(tune::linear_quantile({3.0, 1.0, 4.0, 1.5, 9.0, 2.6}, 0.5), 2.8);
  EXPECT_NEAR(tune::linear_quantile({0.1, 0.5, 0.9, 0.3, 0.7}, 0.2), 0.26, 1e-15);
  EXPECT_NEAR(tune::linear_quantile({0.1, 0.5, 0.9, 0.3, 0.7}, 0.8), 0.74, 1e-15);
}

TEST(Pbt, FillsTheFirstGenerationThenWaitsForIt) {
  auto spec = pbt_spec("n_population: 5");
  tune::Pbt pbt(spec, *tune::pbt_settings(spec));
  std::vector<store::TrialRecord> ts;
  for (int k = 0; k < 5; ++k) {
    auto step = pbt.next(ts, true);
    ASSERT_TRUE(step);
    EXPECT_TRUE(step->fresh);
    EXPECT_EQ(step->member, k);
    EXPECT_EQ(step->generation, 0);
    EXPECT_EQ(step->parent, -1);
    ts.push_back(trial(k, k, 0, -1, params(0.1, 2, "sgd"), "RUNNING", std::nullopt));
  }
  EXPECT_FALSE(pbt.next(ts, true)) << "generation 1 needs generation 0's results";
  for (int k = 0; k < 4; ++k) ts[k].state = "SUCCEEDED", ts[k].objective = 0.5;
  EXPECT_FALSE(pbt.next(ts, true)) << "one member still trains";
}

TEST(Pbt, TheBottomExploitsTheTopAndEveryoneExplores) {
  // Accuracies 0.1 0.5 0.9 0.3 0.7 with truncation 0.2: numpy's quantiles are 0.26 and 0.74, so
  // member 0 (0.1) is the bottom, member 2 (0.9) the top.
  auto spec = pbt_spec("n_population: 5, truncation_threshold: 0.2");
  tune::Pbt pbt(spec, *tune::pbt_settings(spec));
  const double acc[] = {0.1, 0.5, 0.9, 0.3, 0.7};
  const double lr[] = {0.01, 0.02, 0.04, 0.05, 0.08};
  std::vector<store::TrialRecord> ts;
  for (int k = 0; k < 5; ++k)
    ts.push_back(trial(k, k, 0, -1, params(lr[k], 4, "adam"), "SUCCEEDED", acc[k]));
  for (int k = 0; k < 5; ++k) {
    auto step = pbt.next(ts, true);
    ASSERT_TRUE(step);
    EXPECT_EQ(step->generation, 1);
    EXPECT_EQ(step->member, k);
    EXPECT_FALSE(step->fresh);
    const int source = k == 0 ? 2 : k;
    EXPECT_EQ(step->parent, source) << "member " << k << " continues from trial " << source;
    const double new_lr = step->params["lr"].get<double>();
    EXPECT_TRUE(std::abs(new_lr - lr[source] * 0.8) < 1e-12 ||
                std::abs(new_lr - lr[source] * 1.2) < 1e-12)
        << "member " << k << ": lr " << new_lr << " from " << lr[source];
    const int layers = step->params["layers"].get<int>();
    EXPECT_TRUE(layers == 3 || layers == 5) << "4 × 0.8 or × 1.2, rounded: " << layers;
    const std::string opt = step->params["opt"].get<std::string>();
    EXPECT_TRUE(opt == "sgd" || opt == "ftrl") << "a neighbour of adam: " << opt;
    ts.push_back(trial(5 + k, k, 1, step->parent, step->params, "RUNNING", std::nullopt));
  }
  EXPECT_FALSE(pbt.next(ts, true));
  // Minimizing the same numbers turns the ranking over: member 2 exploits member 0.
  ts.resize(5);
  auto step = pbt.next(ts, false);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->parent, 0) << "member 0 is the best when lower is better";
  ts.push_back(trial(5, 0, 1, 0, step->params, "RUNNING", std::nullopt));
  ts.push_back(trial(6, 1, 1, 1, step->params, "RUNNING", std::nullopt));
  step = pbt.next(ts, false);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->member, 2);
  EXPECT_EQ(step->parent, 0) << "the worst member exploits the best";
}

TEST(Pbt, AFailedMemberIsTriedAgainAsItWas) {
  auto spec = pbt_spec("n_population: 5");
  tune::Pbt pbt(spec, *tune::pbt_settings(spec));
  std::vector<store::TrialRecord> ts;
  for (int k = 0; k < 5; ++k)
    ts.push_back(trial(k, k, 0, -1, params(0.01 * (k + 1), 2, "sgd"), "SUCCEEDED", 0.1 * k));
  ts.push_back(trial(5, 0, 1, 3, params(0.5, 3, "ftrl"), "FAILED", std::nullopt));
  auto step = pbt.next(ts, true);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->member, 0);
  EXPECT_EQ(step->generation, 1);
  EXPECT_EQ(step->parent, 3);
  EXPECT_EQ(step->params, params(0.5, 3, "ftrl"));
}

TEST(Pbt, ResampleProbabilityDrawsAnewOrKeeps) {
  auto keep = pbt_spec("resample_probability: 0");
  tune::Pbt kept(keep, *tune::pbt_settings(keep));
  EXPECT_EQ(kept.explore(params(0.3, 4, "adam"), 9), params(0.3, 4, "adam"));
  auto all = pbt_spec("resample_probability: 1");
  tune::Pbt drawn(all, *tune::pbt_settings(all));
  int changed = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Json p = drawn.explore(params(0.3, 4, "adam"), seed);
    changed += p["lr"] != 0.3;
    EXPECT_GE(p["lr"].get<double>(), 0.0001);
    EXPECT_LE(p["lr"].get<double>(), 1.0);
  }
  EXPECT_EQ(changed, 20) << "every lr drawn from the whole range";
}

TEST(Pbt, PerturbedValuesStayInRangeAndOnTheirStep) {
  auto spec = pbt_spec("", "{lr: {type: double, min: 0.0001, max: 0.02, step: 0.0001}}");
  tune::Pbt pbt(spec, *tune::pbt_settings(spec));
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    double lr = pbt.explore({{"lr", 0.02}}, seed)["lr"].get<double>();
    EXPECT_LE(lr, 0.02);
    EXPECT_NEAR(lr / 0.0001, std::round(lr / 0.0001), 1e-6) << lr;
    EXPECT_TRUE(std::abs(lr - 0.02) < 1e-12 || std::abs(lr - 0.016) < 1e-12) << lr;
  }
}

TEST(Pbt, KatibsSettingsAreCheckedAsKatibChecksThem) {
  auto native = pbt_spec("");
  auto defaults = tune::pbt_settings(native);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->population, 5);
  EXPECT_DOUBLE_EQ(defaults->truncation, 0.2);
  auto small = pbt_spec("n_population: 4");
  EXPECT_NE(tune::pbt_settings(small).status().message().find("5 or more"), std::string::npos);
  auto wide = pbt_spec("truncation_threshold: 1.5");
  EXPECT_NE(tune::pbt_settings(wide).status().message().find("between 0 and 1"), std::string::npos);

  const std::string katib =
      "apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nmetadata: {name: p}\nspec:\n"
      "  objective: {type: maximize, objectiveMetricName: acc}\n"
      "  algorithm:\n    algorithmName: pbt\n    algorithmSettings:\n"
      "    - {name: suggestion_trial_dir, value: /var/log/katib/checkpoints/}\n"
      "    - {name: n_population, value: '6'}\n"
      "    - {name: truncation_threshold, value: '0.3'}\n"
      "  parameters:\n  - {name: lr, parameterType: double, feasibleSpace: {min: '0.01', max: "
      "'0.1'}}\n"
      "  trialTemplate:\n    trialParameters: [{name: lr, reference: lr}]\n"
      "    trialSpec: {apiVersion: batch/v1, kind: Job, spec: {template: {spec: {containers: "
      "[{name: t, command: [train, '--lr=${trialParameters.lr}', "
      "'--checkpoint=/var/log/katib/checkpoints/']}]}}}}\n";
  auto s = tune::parse_sweep(katib, "p.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto settings = tune::pbt_settings(*s);
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_EQ(settings->population, 6);
  auto cmd = tune::trial_command(*s, {{"lr", 0.05}}, {{"checkpoint_dir", "/home/u/t-3"}});
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ((*cmd)[2], "--checkpoint=/home/u/t-3/")
      << "the container's checkpoint mount is the trial's own directory";

  std::string missing = katib;
  const std::string line = "    - {name: n_population, value: '6'}\n";
  missing.erase(missing.find(line), line.size());
  auto m = tune::parse_sweep(missing, "p.yaml");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_NE(tune::pbt_settings(*m).status().message().find("n_population"), std::string::npos);
}

}  // namespace
}  // namespace slipway
