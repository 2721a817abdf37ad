#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "backends/k8s/manifests.h"
#include "core/yaml_json.h"

namespace slipway {
namespace {

backends::TaskLaunch launch() {
  backends::TaskLaunch l;
  l.key = "train#2";
  l.run_id = "iris-1234abcd";
  l.task = "train";
  l.attempt = 2;
  l.argv = {"/opt/slipway/bin/slipway", "train", "cfg.yaml"};
  l.env = {{"SLIPWAY_HOME", "/var/lib/slipway"}, {"SLIPWAY_RUN_ID", "iris-1234abcd"}};
  l.workdir = "/var/lib/slipway/runs/iris-1234abcd/tasks/train";
  l.stdout_path = l.workdir + "/attempt-2.out";
  l.stderr_path = l.workdir + "/attempt-2.err";
  return l;
}

backends::K8sConfig config() {
  backends::K8sConfig c;
  c.pvc = "slipway-data";
  c.image = "registry.example/slipway:1";
  c.node_selector = {{"pool", "gpu"}, {"zone", "a"}};
  c.tolerations = Json::array({{{"key", "nvidia.com/gpu"}, {"operator", "Exists"}}});
  return c;
}

TEST(K8sManifests, JobMapsResources) {
  backends::TaskLaunch l = launch();
  l.resources.millicpus = 1500;
  l.resources.memory_bytes = 2LL << 30;
  l.resources.gpus = 1;
  l.resources.tasks_per_node = 2;
  l.timeout_ms = 90'500;
  auto j = backends::render_task_object(l, config(), "/opt/slipway/bin/slipway");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)["kind"], "Job");
  EXPECT_EQ((*j)["spec"]["backoffLimit"], 0);
  EXPECT_EQ((*j)["spec"]["activeDeadlineSeconds"], 91);  // rounded up
  const Json& pod = (*j)["spec"]["template"]["spec"];
  const Json& res = pod["containers"][0]["resources"];
  EXPECT_EQ(res["requests"]["cpu"], "3");  // 2 ranks x 1.5
  EXPECT_EQ(res["requests"]["memory"], std::to_string(2LL << 30));
  EXPECT_EQ(res["limits"]["nvidia.com/gpu"], "2");
  EXPECT_EQ(pod["nodeSelector"]["pool"], "gpu");
  EXPECT_EQ(pod["tolerations"][0]["key"], "nvidia.com/gpu");
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "slipway-data");
  EXPECT_EQ(pod["containers"][0]["volumeMounts"][0]["mountPath"], "/var/lib/slipway");
  EXPECT_EQ(pod["volumes"][1]["emptyDir"]["medium"], "Memory") << "a larger /dev/shm for NCCL";
  EXPECT_EQ(pod["containers"][0]["command"][1], "__tee");
  EXPECT_EQ((*j)["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["type"],
            "DisruptionTarget");
}

TEST(K8sManifests, KfpKubernetesSettingsBecomePodVolumesEnvAndMetadata) {
  backends::TaskLaunch l = launch();
  l.pod_settings = Json::parse(R"({
    "volumes": [
      {"kind": "pvc", "name": "my-claim", "mountPath": "/data", "readOnly": false},
      {"kind": "secret", "name": "creds", "mountPath": "/mnt/creds", "readOnly": true,
       "optional": true},
      {"kind": "emptyDir", "name": "scratch", "mountPath": "/scratch", "medium": "Memory",
       "sizeLimit": "1Gi"}],
    "env": [{"name": "PASSWORD", "secret": "creds", "key": "password", "optional": false},
            {"name": "RUN_NAME", "fieldPath": "metadata.annotations['run']"}],
    "labels": {"team": "ml"}, "annotations": {"note": "x"}})");
  auto j = backends::render_task_object(l, config(), "/opt/slipway/bin/slipway");
  ASSERT_TRUE(j.ok()) << j.status().message();
  const Json& tmpl = (*j)["spec"]["template"];
  const Json& pod = tmpl["spec"];
  // slipway's own volume first (the run root), then the task's.
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "slipway-data");
  EXPECT_EQ(pod["volumes"][1]["persistentVolumeClaim"]["claimName"], "my-claim");
  EXPECT_EQ(pod["volumes"][2]["secret"]["secretName"], "creds");
  EXPECT_EQ(pod["volumes"][3]["emptyDir"]["sizeLimit"], "1Gi");
  const Json& mounts = pod["containers"][0]["volumeMounts"];
  EXPECT_EQ(mounts[1]["name"], pod["volumes"][1]["name"]);
  EXPECT_EQ(mounts[1]["mountPath"], "/data");
  EXPECT_EQ(mounts[2]["readOnly"], true);
  Json env = pod["containers"][0]["env"];
  Json password, run_name;
  for (const Json& e : env) {
    if (e["name"] == "PASSWORD") password = e;
    if (e["name"] == "RUN_NAME") run_name = e;
  }
  EXPECT_EQ(password["valueFrom"]["secretKeyRef"]["name"], "creds");
  EXPECT_EQ(password["valueFrom"]["secretKeyRef"]["key"], "password");
  EXPECT_EQ(run_name["valueFrom"]["fieldRef"]["fieldPath"], "metadata.annotations['run']");
  EXPECT_EQ(tmpl["metadata"]["labels"]["team"], "ml");
  EXPECT_EQ(tmpl["metadata"]["labels"]["app.kubernetes.io/managed-by"], "slipway");
  EXPECT_EQ(tmpl["metadata"]["annotations"]["note"], "x");
}

TEST(K8sManifests, TaskPlacementOverridesTheConfig) {
  backends::TaskLaunch l = launch();
  l.resources.k8s_node_selector = {{"zone", "b"}};
  l.resources.k8s_tolerations = Json::array();
  l.resources.k8s_affinity = {{"nodeAffinity", Json::object()}};
  auto j = backends::render_task_object(l, config(), "/opt/slipway/bin/slipway");
  ASSERT_TRUE(j.ok());
  const Json& pod = (*j)["spec"]["template"]["spec"];
  EXPECT_EQ(pod["nodeSelector"]["zone"], "b");
  EXPECT_EQ(pod["nodeSelector"]["pool"], "gpu") << "merged, not replaced";
  EXPECT_FALSE(pod.contains("tolerations")) << "the task's empty list replaces the config's";
  EXPECT_TRUE(pod.contains("affinity"));
}

TEST(K8sManifests, MultiNodeIsPyTorchJobOrMpiJob) {
  backends::TaskLaunch l = launch();
  l.resources.nodes = 4;
  l.resources.tasks_per_node = 8;
  l.resources.gpus = 1;
  auto p = backends::render_task_object(l, config(), "/opt/slipway/bin/slipway");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)["kind"], "PyTorchJob");
  EXPECT_EQ((*p)["spec"]["nprocPerNode"], "8");
  EXPECT_EQ((*p)["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"], 3);
  EXPECT_EQ(
      (*p)["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["name"],
      "pytorch");
  EXPECT_EQ((*p)["spec"]["runPolicy"]["backoffLimit"], 0);

  l.resources.k8s_distributed = "mpijob";
  backends::K8sConfig c = config();
  c.gang = "volcano";
  c.queue = "research";
  auto m = backends::render_task_object(l, c, "/opt/slipway/bin/slipway");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)["kind"], "MPIJob");
  EXPECT_EQ((*m)["spec"]["slotsPerWorker"], 8);
  EXPECT_EQ((*m)["spec"]["mpiReplicaSpecs"]["Worker"]["replicas"], 4);
  const Json& cmd =
      (*m)["spec"]["mpiReplicaSpecs"]["Launcher"]["template"]["spec"]["containers"][0]["command"];
  std::string joined;
  for (const auto& a : cmd) joined += a.get<std::string>() + " ";
  EXPECT_NE(joined.find("mpirun -np 32 "), std::string::npos) << joined;
  EXPECT_NE(joined.find("-x SLIPWAY_RUN_ID"), std::string::npos) << joined;
  EXPECT_EQ((*m)["spec"]["runPolicy"]["schedulingPolicy"]["minAvailable"],
            5);  // launcher + 4 workers
  EXPECT_EQ((*m)["spec"]["runPolicy"]["schedulingPolicy"]["queue"], "research");
  EXPECT_EQ((*m)["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]["schedulerName"],
            "volcano");
}

TEST(K8sManifests, KueueQueuesJobsSuspended) {
  backends::K8sConfig c = config();
  c.gang = "kueue";
  c.queue = "team-a";
  auto j = backends::render_task_object(launch(), c, "/opt/slipway/bin/slipway");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], "team-a");
  EXPECT_EQ((*j)["spec"]["suspend"], true);
}

TEST(K8sManifests, ImagePathReplacesTheDriversPath) {
  backends::K8sConfig c = config();
  c.slipway_path = "/usr/local/bin/slipway";
  auto j = backends::render_task_object(launch(), c, "/opt/slipway/bin/slipway");
  ASSERT_TRUE(j.ok());
  const Json& cmd = (*j)["spec"]["template"]["spec"]["containers"][0]["command"];
  EXPECT_EQ(cmd[0], "/usr/local/bin/slipway");
  EXPECT_EQ(cmd[5], "/usr/local/bin/slipway");  // the task's own "slipway train"
}

TEST(K8sManifests, ComponentImageRunsItsOwnCommand) {
  backends::TaskLaunch l = launch();
  l.image = "python:3.12-slim";
  l.argv = {"/opt/slipway/bin/slipway", "__pyenv", "--", "python3", "-m", "kfp.dsl.executor_main"};
  auto j = backends::render_task_object(l, config(), "/opt/slipway/bin/slipway");
  ASSERT_TRUE(j.ok());
  const Json& ctr = (*j)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(ctr["image"], "python:3.12-slim");
  EXPECT_EQ(ctr["command"], Json({"python3", "-m", "kfp.dsl.executor_main"}))
      << "no managed venv, no __tee";

  l.resources.nodes = 2;  // multi-node tasks start ranks with slipway launch: slipway's image
  EXPECT_TRUE(backends::k8s_component_image_argv(l, config(), "/opt/slipway/bin/slipway").empty());
  l.resources.nodes = 1;
  backends::K8sConfig off = config();
  off.component_images = false;
  auto k = backends::render_task_object(l, off, "/opt/slipway/bin/slipway");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ((*k)["spec"]["template"]["spec"]["containers"][0]["image"],
            "registry.example/slipway:1");
  EXPECT_NE((*k)["metadata"]["annotations"]["slipway.dev/component-image"].get<std::string>().find(
                "component_images is off"),
            std::string::npos);
}

TEST(K8sManifests, NoVolumeIsAClearError) {
  backends::K8sConfig c;
  auto j = backends::render_task_object(launch(), c, "/x/slipway");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("run_root.pvc"), std::string::npos);
}

TEST(K8sManifests, NamesAndLabelsAreValidForAnyId) {
  std::string long_task = "Evaluate The Model On The Held-Out Split/With A Very Long Name[17]";
  std::string name = backends::k8s_object_name("My Pipeline_v2-1234abcd", long_task + "#3");
  EXPECT_LE(name.size(), 45u) << "room for -worker-NN in pod host names";
  EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"), std::string::npos)
      << name;
  EXPECT_NE(name, backends::k8s_object_name("My Pipeline_v2-1234abcd", long_task + "#4"));
  EXPECT_EQ(backends::k8s_label_value("iris-1234abcd"), "iris-1234abcd");
  std::string v = backends::k8s_label_value(long_task);
  EXPECT_LE(v.size(), 63u);
  EXPECT_NE(v, backends::k8s_label_value(long_task + "x"));
  EXPECT_EQ(v.find_first_of(" /[]"), std::string::npos) << v;
}

TEST(K8sManifests, InferenceServiceRunsSlipwayServe) {
  backends::ServingDeploy d;
  d.name = "iris";
  d.model = "iris";
  d.version = 3;
  d.model_repo = "/var/lib/slipway/models";
  d.canary_percent = 10;
  auto j = backends::render_inference_service(d, config(), "/opt/slipway/bin/slipway");
  ASSERT_TRUE(j.ok());
  const Json& p = (*j)["spec"]["predictor"];
  EXPECT_EQ(p["containers"][0]["command"][1], "serve");
  EXPECT_EQ(p["containers"][0]["readinessProbe"]["httpGet"]["path"], "/v2/health/ready");
  EXPECT_EQ(p["canaryTrafficPercent"], 10);
  d.name = "Iris_Model";
  EXPECT_FALSE(backends::render_inference_service(d, config(), "/x").ok());
}

TEST(JsonToYaml, ReadsBackAsTheSameValue) {
  Json j = {{"env", Json::array({{{"name", "A"}, {"value", "1"}},
                                 {{"name", "B"}, {"value", "yes"}},
                                 {{"name", "C"}, {"value", ""}},
                                 {{"name", "D"}, {"value", "line1\nline2"}}})},
            {"replicas", 3},
            {"ratio", 0.5},
            {"suspend", true},
            {"none", nullptr},
            {"07", "0x1F"},
            {"cmd", Json::array({"--flag", "-c", "echo 'it''s' \"q\"", "~", "null", "1e3"})}};
  std::string y = json_to_yaml(j);
  Json back = yaml_to_json(YAML::Load(y));
  EXPECT_EQ(back, j) << y;
}

}  // namespace
}  // namespace slipway
