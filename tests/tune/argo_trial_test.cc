// An Argo Workflow trial as a slipway pipeline: DAG dependencies, script templates, standard
// output passed on as a parameter, the metrics step picked by Katib's primaryPodLabels, and what
// the subset refuses.
#include "tune/argo_trial.h"

#include <gtest/gtest.h>

namespace slipway {
namespace {

Result<tune::ArgoTrial> convert(const std::string& yaml,
                                const std::map<std::string, std::string>& labels = {
                                    {"katib.kubeflow.org/model-training", "true"}}) {
  YamlReader r("wf.yaml");
  return tune::argo_trial_pipeline(r, YAML::Load(yaml), labels, "t", "/exp");
}

const char* kDag = R"wf(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
spec:
  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - {name: prep, template: count}
          - name: train
            template: fit
            dependencies: [prep]
            arguments: {parameters: [{name: n, value: "{{tasks.prep.outputs.result}}"}]}
    - name: count
      script: {image: python:3.11, command: [python3], source: "print(3)"}
    - name: fit
      metadata: {labels: {katib.kubeflow.org/model-training: "true"}}
      inputs: {parameters: [{name: n}]}
      container: {image: trainer, command: [train], args: ["--n={{inputs.parameters.n}}"]}
)wf";

TEST(ArgoTrial, ADagBecomesTasksWithTheirDependenciesAndOutputs) {
  auto t = convert(kDag);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->metrics_task, "train");
  const Json& tasks = t->pipeline["tasks"];
  EXPECT_EQ(tasks["train"]["after"], Json::array({"prep"}));
  EXPECT_EQ(tasks["train"]["inputs"]["n"], "{{tasks.prep.outputs.result}}");
  EXPECT_EQ(tasks["prep"]["component"]["outputs"]["result"], "string")
      << "a step whose output another reads keeps it";
  const Json& cmd = tasks["train"]["component"]["command"];
  EXPECT_EQ(cmd.back(), "--n={{inputs.n}}");
  EXPECT_EQ(cmd[4], "/exp") << "the commands run in the Experiment's folder";
  const Json& script = tasks["prep"]["component"]["command"];
  EXPECT_NE(std::find(script.begin(), script.end(), Json("print(3)")), script.end());
  EXPECT_EQ(script.back(), "python3") << "the source is a file given to the script's command";
  EXPECT_EQ(tasks["train"]["component"]["image"], "trainer");
}

TEST(ArgoTrial, WhatTheSubsetDoesNotCoverIsRefusedByName) {
  std::string loop = kDag;
  loop.replace(loop.find("dependencies: [prep]"), 20, "withItems: [1, 2]");
  auto a = convert(loop);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("withItems"), std::string::npos) << a.status().message();
  EXPECT_EQ(a.status().message().rfind("wf.yaml:", 0), 0u) << "placed in the file";

  auto unlabelled = convert(kDag, {{"role", "trainer"}});
  ASSERT_FALSE(unlabelled.ok());
  EXPECT_NE(unlabelled.status().message().find("primaryPodLabels (role: trainer)"),
            std::string::npos)
      << unlabelled.status().message();

  std::string missing = kDag;
  missing.replace(missing.find("template: fit"), 13, "template: fitt");
  auto m = convert(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("no template 'fitt'"), std::string::npos);
}

}  // namespace
}  // namespace slipway
