// KServe InferenceService files: every file of the corpus (corpora/kserve/resources-yaml, real
// files from KServe's repository and website) is either read, with a format the daemon serves,
// or refused with FILE:LINE and a reason; storageUri schemes resolve or say how to get a local
// copy; `serve -f` versions and canaries follow KServe's rollouts.
#include "serve/inference_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <regex>
#include <set>

#include "core/files.h"
#include "core/json.h"
#include "serve/isvc_repository.h"

namespace slipway::serve {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed with what it holds at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "slipway-isvc-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? fs::path(pattern) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

fs::path corpus() {
  return fs::path(SLIPWAY_SOURCE_DIR) / ".." / "shared" / "corpora" / "kserve" / "resources-yaml";
}

std::string write(const fs::path& dir, const std::string& name, const std::string& text) {
  const fs::path p = dir / name;
  EXPECT_TRUE(write_file_atomic(p, text).ok());
  return p.string();
}

TEST(InferenceServiceCorpus, EveryFileIsReadOrRefusedWithFileLineAndReason) {
  ASSERT_TRUE(fs::is_directory(corpus())) << corpus();
  int files = 0, accepted = 0, services = 0;
  std::map<std::string, int> formats;
  for (const auto& e : fs::directory_iterator(corpus())) {
    ++files;
    const std::string path = e.path().string();
    auto r = read_inference_services(path);
    if (r.ok()) {
      ++accepted;
      for (const auto& s : *r) {
        ++services;
        ++formats[s.predictor.format];
        EXPECT_FALSE(s.name.empty()) << path;
        // A custom predictor names its image instead of a storageUri.
        EXPECT_EQ(s.predictor.storage_uri.empty(), s.predictor.format == "custom") << path;
        EXPECT_EQ(s.predictor.image.empty(), s.predictor.format != "custom") << path;
        EXPECT_TRUE(
            std::set<std::string>({"sklearn", "xgboost", "lightgbm", "onnx", "pytorch", "custom"})
                .count(s.predictor.format))
            << path;
        for (const auto& w : s.warnings) EXPECT_EQ(w.rfind(path + ":", 0), 0u) << w;
      }
      continue;
    }
    const std::string& why = r.status().message();
    EXPECT_TRUE(std::regex_search(
        why,
        std::regex("^" + std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                   ":[0-9]+: .{20,}")))
        << why;
  }
  EXPECT_EQ(files, 162);
  // What runs, for docs/serving.md: the sklearn, xgboost and pytorch samples among them.
  EXPECT_GE(accepted, 20);
  EXPECT_GE(formats["sklearn"], 15);
  EXPECT_GE(formats["xgboost"], 3);
  std::printf(
      "kserve corpus: %d files, %d read (%d services: %d sklearn, %d xgboost, %d pytorch, %d "
      "custom)\n",
      files, accepted, services, formats["sklearn"], formats["xgboost"], formats["pytorch"],
      formats["custom"]);
}

TEST(InferenceServiceCorpus, RefusalsNameTheRuntimeThatIsMissing) {
  struct Case {
    const char* file;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"kserve@docs__samples__storage__uri__tensorflow.yaml", "TensorFlow SavedModels"},
           {"kserve@docs__samples__v1beta1__triton__torchscript__torch_transformer.yaml",
            "spec.transformer"},
           {"kserve@docs__samples__rollout-strategy__rollout-strategy-example.yaml",
            "spec.transformer"},
           {"kserve@config__runtimes__kserve-lgbserver.yaml",
            "kind ClusterServingRuntime is not an InferenceService"},
           {"kserve@docs__samples__bentoml__bentoml.yaml", "not valid YAML"},
       }) {
    auto r = read_inference_services((corpus() / c.file).string());
    ASSERT_FALSE(r.ok()) << c.file;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << r.status().message();
  }
}

TEST(InferenceService, TheSeedsIrisServiceIsReadWithItsScalingAndResources) {
  TempDir dir;
  const std::string file = write(dir.path(), "iris.yaml", R"(apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: iris-classifier, namespace: kubeflow}
spec:
  predictor:
    sklearn:
      storageUri: "gs://my-models/iris/v1"
      resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: "1", memory: 1Gi}}
    minReplicas: 0
    maxReplicas: 5
    scaleTarget: 10
    scaleMetric: "concurrency"
    nodeSelector: {gpu: "false"}
)");
  auto r = read_inference_services(file);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const InferenceService& s = r->at(0);
  EXPECT_EQ(s.name, "iris-classifier");
  EXPECT_EQ(s.namespace_, "kubeflow");
  EXPECT_EQ(s.predictor.format, "sklearn");
  EXPECT_EQ(s.predictor.min_replicas, 0);
  EXPECT_EQ(s.predictor.max_replicas, 5);
  EXPECT_EQ(s.predictor.scale_target, 10);
  EXPECT_DOUBLE_EQ(s.predictor.cpu_limit, 1.0);
  EXPECT_EQ(s.predictor.memory_limit, 1073741824);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find(file + ":13: spec.predictor.nodeSelector places Kubernetes pods"),
            std::string::npos)
      << s.warnings[0];
  // gs:// is not fetched: the message says how to get a local copy.
  auto storage = resolve_storage_uri(s.predictor.storage_uri, StorageOptions{});
  ASSERT_FALSE(storage.ok());
  EXPECT_NE(storage.status().message().find("gsutil cp -r gs://my-models/iris/v1 DIR"),
            std::string::npos)
      << storage.status().message();
}

TEST(InferenceService, MistakesAreRefusedWithTheLineTheyAreOn) {
  TempDir dir;
  struct Case {
    const char* yaml;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"kind: InferenceService\napiVersion: serving.kserve.io/v1beta1\nmetadata: {name: a}\n"
            "spec:\n  predictor:\n    minReplica: 1\n    sklearn: {storageUri: /m}\n",
            ":6: spec.predictor.minReplica is not a predictor field"},
           {"kind: InferenceService\napiVersion: serving.kserve.io/v1beta1\nmetadata: {name: a}\n"
            "spec:\n  predictor:\n    maxReplicas: many\n    sklearn: {storageUri: /m}\n",
            ":6: spec.predictor.maxReplicas must be an integer"},
           {"kind: InferenceService\napiVersion: serving.kserve.io/v1beta1\nmetadata: {name: a}\n"
            "spec:\n  predictor:\n    sklearn: {}\n",
            "storageUri is missing"},
           {"kind: InferenceService\napiVersion: serving.kserve.io/v1beta1\nmetadata: {name: a}\n"
            "spec:\n  predictor:\n    model: {modelFormat: {name: sklearn}, storageUri: /m}\n"
            "    xgboost: {storageUri: /m}\n",
            ":7: spec.predictor.xgboost: the predictor already names its model"},
           {"kind: InferenceService\napiVersion: serving.kserve.io/v1beta1\nmetadata: {name: a}\n"
            "spec:\n  predictor:\n    minReplicas: 3\n    maxReplicas: 2\n"
            "    sklearn: {storageUri: /m}\n",
            "minReplicas (3) is above maxReplicas (2)"},
       }) {
    auto r = read_inference_services(write(dir.path(), "bad.yaml", c.yaml));
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << r.status().message();
  }
}

TEST(StorageUri, LocalPathsFileUrisClaimsAndRegistryVersionsResolve) {
  TempDir dir;
  fs::create_directories(dir.path() / "models" / "m");
  fs::create_directories(dir.path() / "claims" / "cache" / "iris");
  fs::create_directories(dir.path() / "registry" / "iris" / "1");
  fs::create_directories(dir.path() / "registry" / "iris" / "2");
  StorageOptions o;
  o.base = dir.path();
  o.pvcs = {{"model-cache", dir.path() / "claims" / "cache"}};
  o.registry = dir.path() / "registry";
  auto canon = [](const fs::path& p) { return fs::weakly_canonical(p); };
  EXPECT_EQ(*resolve_storage_uri("models/m", o), canon(dir.path() / "models" / "m"));
  EXPECT_EQ(*resolve_storage_uri("file://" + (dir.path() / "models" / "m").string(), o),
            canon(dir.path() / "models" / "m"));
  EXPECT_EQ(*resolve_storage_uri("pvc://model-cache/iris", o),
            canon(dir.path() / "claims" / "cache" / "iris"));
  EXPECT_EQ(*resolve_storage_uri("models:/iris", o), dir.path() / "registry" / "iris" / "2");
  EXPECT_EQ(*resolve_storage_uri("models:/iris/1", o), dir.path() / "registry" / "iris" / "1");
  auto unmapped = resolve_storage_uri("pvc://other/x", o);
  ASSERT_FALSE(unmapped.ok());
  EXPECT_NE(unmapped.status().message().find("add `pvc: {other: /path/to/its/files}`"),
            std::string::npos);
  EXPECT_FALSE(resolve_storage_uri("models:/iris/3", o).ok());
  EXPECT_FALSE(resolve_storage_uri("missing", o).ok());
  auto s3 = resolve_storage_uri("s3://bucket/model", o);
  ASSERT_FALSE(s3.ok());
  EXPECT_NE(s3.status().message().find("aws s3 cp --recursive s3://bucket/model DIR"),
            std::string::npos);
}

InferenceService sklearn_service(const std::string& name, const std::string& storage,
                                 std::optional<int> canary = std::nullopt) {
  InferenceService s;
  s.name = name;
  s.where = "f.yaml:1";
  s.predictor.format = "sklearn";
  s.predictor.storage_uri = storage;
  s.predictor.canary_traffic_percent = canary;
  return s;
}

TEST(StageServices, AChangedServiceRollsOutAVersionAndACanaryKeepsThePreviousOne) {
  TempDir dir;
  fs::create_directories(dir.path() / "v1");
  fs::create_directories(dir.path() / "v2");
  fs::create_directories(dir.path() / "v3");
  StorageOptions o;
  o.base = dir.path();
  const fs::path root = dir.path() / "repo";
  auto first = stage_services({sklearn_service("iris", "v1")}, o, root);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->at(0).version, 1);
  // The same file again serves the same version.
  EXPECT_EQ(stage_services({sklearn_service("iris", "v1")}, o, root)->at(0).version, 1);
  // A canary: the new version takes 20%, the previous one the rest.
  auto canary = stage_services({sklearn_service("iris", "v2", 20)}, o, root);
  ASSERT_TRUE(canary.ok());
  EXPECT_EQ(canary->at(0).version, 2);
  EXPECT_EQ(canary->at(0).traffic, (std::map<int, int>{{2, 20}, {1, 80}}));
  EXPECT_TRUE(fs::exists(root / "iris" / "1" / "config.json"));
  // Rolled out without a canary: only the new version stays.
  auto rolled = stage_services({sklearn_service("iris", "v3")}, o, root);
  ASSERT_TRUE(rolled.ok());
  EXPECT_EQ(rolled->at(0).version, 3);
  EXPECT_TRUE(rolled->at(0).traffic.empty());
  EXPECT_FALSE(fs::exists(root / "iris" / "1"));
  EXPECT_FALSE(fs::exists(root / "iris" / "2"));
  auto config = Json::parse(*read_file(root / "iris" / "3" / "config.json"));
  EXPECT_EQ(config["format"], "sklearn");
  EXPECT_EQ(config["storage"], fs::weakly_canonical(dir.path() / "v3").string());
  // A name given twice is refused; a service no longer named is removed.
  auto twice = stage_services({sklearn_service("a", "v1"), sklearn_service("a", "v2")}, o, root);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("also defined at"), std::string::npos);
  ASSERT_TRUE(stage_services({sklearn_service("other", "v1")}, o, root).ok());
  EXPECT_FALSE(fs::exists(root / "iris"));
}

TEST(StageServices, AStorageUriNamingOneFileIsLinkedUnderItsLayoutName) {
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "mnist.joblib", "x").ok());
  StorageOptions o;
  o.base = dir.path();
  auto staged = stage_services({sklearn_service("mnist", "mnist.joblib")}, o, dir.path() / "repo");
  ASSERT_TRUE(staged.ok()) << staged.status().message();
  const fs::path v = dir.path() / "repo" / "mnist" / "1";
  EXPECT_TRUE(fs::is_symlink(v / "model.joblib"));
  EXPECT_EQ(Json::parse(*read_file(v / "config.json"))["storage"], fs::absolute(v).string());
}

}  // namespace
}  // namespace slipway::serve
