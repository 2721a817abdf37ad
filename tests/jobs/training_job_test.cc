// Reading training job files: what each operator's defaults fill in, and every field that cannot
// be honoured on the host named at its line.
#include "spec/training_job.h"

#include <gtest/gtest.h>

#include "spec/load_pipeline.h"

namespace slipway::spec {
namespace {

const char* kPyTorchJob = R"YAML(apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: ddp
  namespace: team
spec:
  runPolicy:
    backoffLimit: 2
    activeDeadlineSeconds: 600
  pytorchReplicaSpecs:
    master:
      replicas: 1
      template:
        spec:
          containers:
            - name: pytorch
              image: pytorch/pytorch:2.4
              command: [python3, train.py]
              resources:
                limits: {cpu: "2", memory: 1Gi}
    Worker:
      replicas: 2
      restartPolicy: Never
      template:
        spec:
          nodeSelector: {gpu: a100}
          containers:
            - name: pytorch
              image: pytorch/pytorch:2.4
              command: [python3, train.py]
              args: ["--lr=$(LR)"]
              env:
                - {name: LR, value: "0.1"}
                - name: MY_POD
                  valueFrom: {fieldRef: {fieldPath: metadata.name}}
)YAML";

TEST(TrainingJobReader, ReadsAPyTorchJobWithTheOperatorsDefaults) {
  Diagnostics d;
  auto job = read_training_job(kPyTorchJob, "job.yaml", &d);
  ASSERT_TRUE(job) << d.to_string();
  EXPECT_EQ(job->kind, "PyTorchJob");
  EXPECT_EQ(job->namespace_, "team");
  ASSERT_EQ(job->groups.size(), 2u);
  // "master" is camel-cased, and Master comes before Worker whatever the file's order.
  EXPECT_EQ(job->groups[0].type, "Master");
  EXPECT_EQ(job->groups[0].restart_policy, "OnFailure");
  EXPECT_EQ(job->groups[1].restart_policy, "Never");
  EXPECT_EQ(job->total_replicas(), 3);
  EXPECT_EQ(job->groups[0].container.millicpus, 2000);
  EXPECT_EQ(job->groups[0].container.memory_bytes, 1LL << 30);
  // setPyTorchDefaultPort: the container gets pytorchjob-port 23456.
  ASSERT_EQ(job->groups[0].container.ports.size(), 1u);
  EXPECT_EQ(job->groups[0].container.ports[0],
            std::make_pair(std::string("pytorchjob-port"), 23456));
  EXPECT_EQ(job->backoff_limit, 2);
  EXPECT_EQ(job->active_deadline_seconds, 600);
  // The pod placement field is named in a warning at its line, not dropped in silence.
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_TRUE(d.all()[0].warning);
  EXPECT_EQ(d.all()[0].loc.line, 26);
  EXPECT_NE(d.all()[0].message.find("nodeSelector"), std::string::npos);
}

TEST(TrainingJobReader, AJobFileLoadsAsAOneTaskPipelineThatRoundTripsTheJob) {
  LoadedPipeline p = load_pipeline_text(kPyTorchJob, "/jobs/job.yaml");
  ASSERT_TRUE(p.spec) << p.diagnostics.to_string();
  EXPECT_EQ(p.spec->format, "pytorchjob");
  ASSERT_EQ(p.spec->tasks.size(), 1u);
  const Task& t = p.spec->tasks[0];
  EXPECT_FALSE(t.cache);
  EXPECT_EQ(t.retry.limit, 2);  // backoffLimit
  EXPECT_EQ(t.timeout_ms, 600'000);
  // Three replicas, each holding what the largest asks: the Master's 2 CPUs and 1 GiB.
  EXPECT_EQ(t.resources.job_replicas, 3);
  EXPECT_EQ(t.resources.millicpus, 2000);
  EXPECT_EQ(t.resources.memory_bytes, 1LL << 30);
  EXPECT_EQ(t.resources.processes(), 3);
  EXPECT_EQ(t.resources.time_limit_ms, 600'000);  // activeDeadlineSeconds as Slurm's --time
  const Component* c = p.spec->component_of(t);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->command, (std::vector<std::string>{"slipway", "job-gang"}));
  EXPECT_EQ(c->env.at("SLIPWAY_JOB_DIR"), "/jobs");
  auto back = training_job_from_json(Json::parse(c->env.at("SLIPWAY_TRAINING_JOB")));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(training_job_to_json(*back), Json::parse(c->env.at("SLIPWAY_TRAINING_JOB")));
  EXPECT_EQ(back->groups[1].container.env_fields[0].second, "metadata.name");
}

TEST(TrainingJobReader, WithoutBackoffLimitRestartingReplicasRetryThreeTimes) {
  std::string text = kPyTorchJob;
  text.replace(text.find("    backoffLimit: 2\n"), 20, "");
  LoadedPipeline p = load_pipeline_text(text, "job.yaml");
  ASSERT_TRUE(p.spec) << p.diagnostics.to_string();
  EXPECT_EQ(p.spec->tasks[0].retry.limit, 3);
}

// Each refusal names the line and says what to do.
struct Refusal {
  std::string from, to;  // replaced in kPyTorchJob
  int line;
  std::string says;
};

TEST(TrainingJobReader, FieldsThatCannotBeHonouredAreErrorsAtTheirLine) {
  const std::vector<Refusal> cases = {
      {"  runPolicy:", "  runPolicyy: {}\n  runPolicy:", 7, "did you mean 'runPolicy'"},
      {"    Worker:", "    Evaluator:", 21, "replica type 'Evaluator'"},
      {"                  valueFrom: {fieldRef: {fieldPath: metadata.name}}",
       "                  valueFrom: {secretKeyRef: {name: s, key: k}}", 35, "Secret"},
      {"              command: [python3, train.py]\n              resources:",
       "              resources:", 16, "no command"},
      {"          nodeSelector: {gpu: a100}",
       "          volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]", 0, ""},
      {"restartPolicy: Never", "restartPolicy: Sometimes", 23, "restartPolicy"},
      {"kind: PyTorchJob\n", "kind: PyTorchJob\nextra: 1\n", 3, "unknown key 'extra'"},
  };
  for (const auto& c : cases) {
    std::string text = kPyTorchJob;
    size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    Diagnostics d;
    auto job = read_training_job(text, "job.yaml", &d);
    if (c.line == 0) {  // a volume nobody mounts is harmless
      EXPECT_TRUE(job) << d.to_string();
      continue;
    }
    EXPECT_FALSE(job) << c.to;
    ASSERT_TRUE(d.has_errors()) << c.to;
    bool found = false;
    for (const auto& x : d.all())
      if (!x.warning && x.loc.line == c.line && x.message.find(c.says) != std::string::npos)
        found = true;
    EXPECT_TRUE(found) << c.to << "\n" << d.to_string();
  }
}

TEST(TrainingJobReader, AClusterVolumeMountedByTheContainerIsRefused) {
  std::string text = kPyTorchJob;
  text.replace(text.find("          nodeSelector: {gpu: a100}"), 35,
               "          volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]");
  text += "              volumeMounts: [{name: data, mountPath: /data}]\n";
  Diagnostics d;
  EXPECT_FALSE(read_training_job(text, "job.yaml", &d));
  EXPECT_NE(d.to_string().find("job.yaml:36"), std::string::npos) << d.to_string();
  EXPECT_NE(d.to_string().find("persistentVolumeClaim"), std::string::npos);
}

TEST(TrainingJobReader, AnotherKubernetesKindSaysWhatItIsAndWhichCommandTakesIt) {
  LoadedPipeline p = load_pipeline_text(
      "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: x}\n",
      "isvc.yaml");
  EXPECT_FALSE(p.spec);
  EXPECT_NE(p.diagnostics.to_string().find("is a Kubernetes InferenceService"), std::string::npos)
      << p.diagnostics.to_string();
  EXPECT_NE(p.diagnostics.to_string().find("slipway serve -f"), std::string::npos);
}

TEST(TrainingJobReader, AnMpiJobNeedsOneLauncher) {
  const char* text = R"(apiVersion: kubeflow.org/v2beta1
kind: MPIJob
metadata: {name: pi}
spec:
  slotsPerWorker: 2
  mpiReplicaSpecs:
    Worker:
      replicas: 2
      template:
        spec:
          containers: [{name: w, image: x, command: [/usr/sbin/sshd, -De]}]
)";
  Diagnostics d;
  EXPECT_FALSE(read_training_job(text, "mpi.yaml", &d));
  EXPECT_NE(d.to_string().find("exactly 1 Launcher"), std::string::npos) << d.to_string();
}

TEST(TrainingJobReader, ATrainJobTakesItsRuntimesNodeContainerAndOverridesIt) {
  const char* text = R"YAML(apiVersion: trainer.kubeflow.org/v1alpha1
kind: ClusterTrainingRuntime
metadata: {name: torch-distributed}
spec:
  mlPolicy: {numNodes: 1, torch: {}}
  template:
    spec:
      replicatedJobs:
        - name: dataset-initializer
          template: {spec: {template: {spec: {containers: [{name: x, image: y}]}}}}
        - name: node
          template:
            spec:
              template:
                spec:
                  containers:
                    - name: node
                      image: pytorch/pytorch:2.4
                      env: [{name: A, value: runtime}]
---
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: tj}
spec:
  runtimeRef: {name: torch-distributed}
  trainer:
    numNodes: 3
    numProcPerNode: 2
    command: [torchrun, train.py]
    env: [{name: A, value: job}, {name: B, value: "1"}]
    resourcesPerNode: {limits: {cpu: "4"}}
)YAML";
  Diagnostics d;
  auto job = read_training_job(text, "tj.yaml", &d);
  ASSERT_TRUE(job) << d.to_string();
  ASSERT_EQ(job->groups.size(), 1u);
  const ReplicaGroup& g = job->groups[0];
  EXPECT_EQ(g.type, "Node");
  EXPECT_EQ(g.replicas, 3);
  EXPECT_EQ(g.container.image, "pytorch/pytorch:2.4");
  EXPECT_EQ(g.container.command, (std::vector<std::string>{"torchrun", "train.py"}));
  EXPECT_EQ(g.container.env,
            (std::vector<std::pair<std::string, std::string>>{{"A", "job"}, {"B", "1"}}));
  EXPECT_EQ(g.container.millicpus, 4000);
  EXPECT_EQ(job->nproc_per_node, "2");
  // The initializer is named in a warning, not dropped in silence.
  EXPECT_NE(d.to_string().find("dataset-initializer"), std::string::npos) << d.to_string();

  Diagnostics missing;
  std::string other = text;
  other.replace(other.find("runtimeRef: {name: torch-distributed}"), 37,
                "runtimeRef: {name: nope}");
  EXPECT_FALSE(read_training_job(other, "tj.yaml", &missing));
  EXPECT_NE(missing.to_string().find("no ClusterTrainingRuntime 'nope'"), std::string::npos)
      << missing.to_string();
}

}  // namespace
}  // namespace slipway::spec
