// Sweep definitions: Katib Experiments as is, the native format, and clear refusals.
#include "tune/sweep_spec.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace slipway {
namespace {

std::string fixture(const std::string& name) {
  return std::string(SLIPWAY_SOURCE_DIR) + "/tests/fixtures/katib/" + name;
}

TEST(SweepSpec, ReadsKatibsRandomExample) {
  auto s = tune::load_sweep(fixture("random.yaml"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->format, "katib");
  EXPECT_EQ(s->name, "random");
  EXPECT_TRUE(s->objective.maximize);
  EXPECT_EQ(s->objective.metric, "Validation-accuracy");
  ASSERT_TRUE(s->objective.goal.has_value());
  EXPECT_DOUBLE_EQ(*s->objective.goal, 0.99);
  EXPECT_EQ(s->objective.strategy_of("Train-accuracy"), "max");
  EXPECT_EQ(s->algorithm.name, "random");
  EXPECT_EQ(s->seed, 10u);
  EXPECT_EQ(s->parallel, 3);
  EXPECT_EQ(s->max_trials, 12);
  ASSERT_EQ(s->space.dims(), 3u);
  EXPECT_EQ(s->space.params[1].kind, tune::ParamKind::kInt);
  EXPECT_EQ(s->space.params[2].choices, (std::vector<std::string>{"sgd", "adam", "ftrl"}));
  auto cmd = tune::trial_command(*s, Json{{"lr", 0.015}, {"num-layers", 3}, {"optimizer", "adam"}});
  ASSERT_TRUE(cmd.ok()) << cmd.status().message();
  EXPECT_EQ(*cmd,
            (std::vector<std::string>{"python3", "/opt/mxnet-mnist/mnist.py", "--batch-size=64",
                                      "--lr=0.015", "--num-layers=3", "--optimizer=adam"}));
}

TEST(SweepSpec, ReadsAPyTorchJobTrialWithItsRanksAndStrategies) {
  auto s = tune::load_sweep(fixture("pytorchjob-tpe.yaml"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_FALSE(s->objective.maximize);
  EXPECT_EQ(s->objective.strategy_of("loss"), "latest");
  EXPECT_TRUE(s->space.params[0].log);
  EXPECT_EQ(s->space.params[1].numbers, (std::vector<double>{0.5, 0.9, 0.99}));
  // The trial is the whole PyTorchJob, run through the job front door (a Master and two
  // Workers), named after the trial as Katib names it, its parameters substituted.
  EXPECT_EQ(s->trial.task, "pytorchjob");
  EXPECT_TRUE(s->trial.command.empty());
  auto cmd = tune::trial_command(*s, Json{{"lr", 0.001}, {"momentum", 0.9}},
                                 {{"trial_name", "tpe-trial-7"}});
  ASSERT_TRUE(cmd.ok()) << cmd.status().message();
  ASSERT_EQ(cmd->size(), 1u);
  YAML::Node job = YAML::Load(cmd->front());
  EXPECT_EQ(job["kind"].as<std::string>(), "PyTorchJob");
  EXPECT_EQ(job["metadata"]["name"].as<std::string>(), "tpe-trial-7");
  EXPECT_EQ(job["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"].as<int>(), 2);
  auto args =
      job["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["args"];
  EXPECT_EQ(args[1].as<std::string>(), "--lr=0.001");
  EXPECT_EQ(args[2].as<std::string>(), "--momentum=0.9");
}

TEST(SweepSpec, ReadsMedianStopAndAFileCollector) {
  auto s = tune::load_sweep(fixture("median-stop-file.yaml"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->early_stopping.name, "medianstop");
  EXPECT_EQ(s->early_stopping.min_trials_required, 2);
  EXPECT_EQ(s->early_stopping.start_step, 3);
  EXPECT_EQ(s->collector.kind, "File");
  EXPECT_EQ(s->collector.path, "/var/log/metrics.txt");
  ASSERT_EQ(s->collector.regexes.size(), 1u);
  auto grid = s->space.grid(1000);
  ASSERT_TRUE(grid.ok()) << grid.status().message();
  EXPECT_EQ(grid->size(), 9u) << "lr 0.01, 0.02, 0.03 × layers 2, 3, 4";
}

TEST(SweepSpec, RefusesATektonTrialSayingWhatRuns) {
  auto s = tune::parse_sweep(
      "apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nmetadata: {name: t}\nspec:\n"
      "  objective: {type: minimize, objectiveMetricName: loss}\n"
      "  parameters: [{name: lr, parameterType: double, feasibleSpace: {min: '0.1', max: '1'}}]\n"
      "  trialTemplate:\n    trialParameters: [{name: lr, reference: lr}]\n"
      "    trialSpec: {apiVersion: tekton.dev/v1beta1, kind: PipelineRun, spec: {}}\n",
      "tekton.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("Tekton PipelineRun is not run"), std::string::npos)
      << s.status().message();
  EXPECT_NE(s.status().message().find("Argo Workflow"), std::string::npos);
}

TEST(SweepSpec, RefusesANumericAlgorithmSettingThatIsNotOne) {
  // Native and Katib files alike: the setting, what it is, and what to give; the file and line.
  auto native = tune::parse_sweep(
      "objective: {minimize: loss}\nalgorithm: {name: bayesianoptimization, settings: "
      "{n_initial_points: abc}}\nparameters: {x: {type: double, min: 0, max: 1}}\n"
      "trial: {command: [run]}\n",
      "s.yaml");
  ASSERT_FALSE(native.ok());
  EXPECT_EQ(native.status().message(),
            "s.yaml:2:12: algorithm setting n_initial_points is 'abc'; give a whole number of 1 or "
            "more (trials of the initial design)");
  auto katib = tune::parse_sweep(
      "apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nmetadata: {name: t}\nspec:\n"
      "  objective: {type: minimize, objectiveMetricName: loss}\n"
      "  algorithm: {algorithmName: tpe, algorithmSettings: [{name: random_state, value: '-1'}]}\n"
      "  parameters: [{name: lr, parameterType: double, feasibleSpace: {min: '0.1', max: '1'}}]\n"
      "  trialTemplate:\n    trialParameters: [{name: lr, reference: lr}]\n"
      "    trialSpec: {apiVersion: batch/v1, kind: Job, spec: {template: {spec: {containers: "
      "[{name: c, image: i, command: [run]}]}}}}\n",
      "k.yaml");
  ASSERT_FALSE(katib.ok());
  EXPECT_NE(katib.status().message().find("algorithm setting random_state is '-1'; give a whole "
                                          "number of 0 or more"),
            std::string::npos)
      << katib.status().message();
  // Settings slipway does not read as numbers pass (Katib's skopt options, say).
  auto passes = tune::parse_sweep(
      "objective: {minimize: loss}\nalgorithm: {name: bayesianoptimization, settings: "
      "{acq_func: gp_hedge, n_initial_points: '5'}}\nparameters: {x: {type: double, min: 0, "
      "max: 1}}\ntrial: {command: [run]}\n",
      "ok.yaml");
  EXPECT_TRUE(passes.ok()) << passes.status().message();
}

TEST(SweepSpec, SubstitutesKatibsTrialMetadata) {
  const std::string head = R"(apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: meta, namespace: team-a}
spec:
  objective: {type: maximize, objectiveMetricName: acc}
  algorithm: {algorithmName: random}
  parameters:
    - {name: lr, parameterType: double, feasibleSpace: {min: "0.1", max: "0.2"}}
  trialTemplate:
    trialParameters:
      - {name: lr, reference: lr}
      - {name: trialName, reference: "${trialSpec.Name}"}
      - {name: ns, reference: "${trialSpec.Namespace}"}
      - {name: team, reference: "${trialSpec.Labels[team]}"}
)";
  const std::string spec = R"(    trialSpec:
      apiVersion: batch/v1
      kind: Job
      metadata: {labels: {team: vision}}
      spec: {template: {spec: {containers: [{name: training-container, command: [train, "--out=/ckpt/${trialParameters.trialName}", "--ns=${trialParameters.ns}", "--team=${trialParameters.team}", "--lr=${trialParameters.lr}"]}]}}}
)";
  auto s = tune::parse_sweep(head + spec, "meta.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto cmd = tune::trial_command(*s, Json{{"lr", 0.15}}, {{"trial_name", "sweep-9-t4"}});
  ASSERT_TRUE(cmd.ok()) << cmd.status().message();
  EXPECT_EQ(*cmd, (std::vector<std::string>{"train", "--out=/ckpt/sweep-9-t4", "--ns=team-a",
                                            "--team=vision", "--lr=0.15"}));
  auto missing = tune::parse_sweep(
      head + "      - {name: owner, reference: \"${trialSpec.Annotations[owner]}\"}\n" + spec,
      "meta.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(
                "${trialSpec.Annotations[owner]}, which this trialSpec does not define"),
            std::string::npos)
      << missing.status().message();
}

TEST(SweepSpec, RefusesWhatItCannotRunWithTheReason) {
  auto enas = tune::load_sweep(fixture("enas.yaml"));
  ASSERT_FALSE(enas.ok());
  EXPECT_NE(enas.status().message().find("neural architecture search"), std::string::npos)
      << enas.status().message();
  EXPECT_NE(enas.status().message().find("enas.yaml:"), std::string::npos) << "the file and line";
  struct Case {
    std::string yaml, expected;
  };
  const std::string trial = "trial: {command: [echo, '${lr}']}\n";
  const std::vector<Case> cases = {
      {"objective: {maximize: acc}\nalgorithm: darts\nparameters: {lr: {type: double, min: 0.1, "
       "max: 1}}\n" +
           trial,
       "neural architecture search"},
      {"objective: {maximize: acc}\nalgorithm: tpee\nparameters: {lr: {type: double, min: 0.1, "
       "max: 1}}\n" +
           trial,
       "did you mean 'tpe'"},
      {"objective: {maximize: acc}\nparameters: {lr: {type: double, min: 1, max: 0.1}}\n" + trial,
       "min 1.000000 is above max"},
      {"objective: {maximize: acc}\nparameters: {lr: {type: double, min: 0, max: 1, log: true}}\n" +
           trial,
       "a log scale needs min > 0"},
      {"objective: {maximize: acc}\nparameters: {lr: {type: float32, min: 0, max: 1}}\n" + trial,
       "type 'float32' is not int, double"},
      {"objective: {maximize: acc}\nparameters: {lr: {type: double, min: 0, max: 1}}\ntrial: "
       "{command: [echo, '${rate}']}\n",
       "${rate} in the trial command is not a search parameter"},
      {"objective: {maximize: acc}\nparameters: {c: {type: categorical}}\n" + trial,
       "needs a non-empty list"},
      {"objective: {maximize: acc}\nalgorithm: asha\nparameters: {lr: {type: double, min: 0.1, "
       "max: 1}}\n" +
           trial,
       "asha needs a budget parameter"},
      {"objective: {maximise: acc}\nparameters: {lr: {type: double, min: 0.1, max: 1}}\n" + trial,
       "did you mean 'maximize'"},
      // A collector regex that would only fail once trials report (and end the controller).
      {"objective: {maximize: acc}\nparameters: {lr: {type: double, min: 0.1, max: 1}}\n"
       "metrics: {regex: '([a-z'}\n" +
           trial,
       "is not a valid regular expression"},
      {"objective: {maximize: acc}\nparameters: {lr: {type: double, min: 0.1, max: 1}}\n"
       "metrics: {regex: 'acc=([0-9.]+)'}\n" +
           trial,
       "has 1 capture group(s); it needs two"},
  };
  for (const auto& c : cases) {
    auto s = tune::parse_sweep(c.yaml, "bad.yaml");
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_NE(s.status().message().find(c.expected), std::string::npos)
        << "expected '" << c.expected << "' in: " << s.status().message();
    EXPECT_EQ(s.status().message().rfind("bad.yaml", 0), 0u) << s.status().message();
  }
}

TEST(SweepSpec, ReadsTheNativeFormat) {
  auto s = tune::parse_sweep(R"(
name: iris-lr
objective: {maximize: valid_accuracy, goal: 0.99, additional: [valid_loss]}
algorithm: {name: tpe, settings: {n_startup_trials: 5}}
parallel: 2
max_trials: 20
seed: 7
parameters:
  lr: {type: double, min: 1e-4, max: 0.1, log: true}
  hidden: {type: int, min: 8, max: 64, step: 8}
  act: {type: categorical, values: [relu, gelu]}
  steps: {type: int, min: 30, max: 270}
trial:
  command: [slipway, train, cfg.yaml, --set, "optimizer.lr=${lr}", --set, "model.hidden=[${hidden}]"]
  resources: {tasks_per_node: 2}
  timeout: 5m
budget: {parameter: steps, eta: 3}
)",
                             "/tmp/sweeps/iris.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->format, "native");
  EXPECT_EQ(s->algorithm.setting("n_startup_trials", ""), "5");
  EXPECT_EQ(s->trial.resources.value("tasks_per_node", 0), 2);
  EXPECT_EQ(s->trial.timeout_seconds, 300);
  EXPECT_EQ(s->trial.workdir, "/tmp/sweeps");
  EXPECT_EQ(s->resource, "steps");
  auto cmd =
      tune::trial_command(*s, Json{{"lr", 0.001}, {"hidden", 16}, {"act", "relu"}, {"steps", 90}});
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ((*cmd)[4], "optimizer.lr=0.001");
  EXPECT_EQ((*cmd)[6], "model.hidden=[16]");
  // $${VAR} is the shell's; in Katib's format every ${...} but trialParameters is.
  s->trial.command = {"sh", "-c", "echo $${HOME} ${lr}"};
  EXPECT_EQ(tune::trial_command(*s, Json{{"lr", 0.5}})->back(), "echo ${HOME} 0.5");
  auto katib = tune::load_sweep(fixture("random.yaml"));
  katib->trial.command = {"echo ${HOME} ${trialParameters.learningRate}"};
  EXPECT_EQ(tune::trial_command(*katib, Json{{"lr", 0.02}, {"num-layers", 2}, {"optimizer", "sgd"}})
                ->back(),
            "echo ${HOME} 0.02");
}

}  // namespace
}  // namespace slipway
