// The serving daemon's parts without HTTP: OIP tensors, input checks, the dynamic batcher,
// Prometheus text, drift statistics and the registry's stages.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "ml/feature_stats.h"
#include "serve/batcher.h"
#include "serve/drift.h"
#include "serve/metrics.h"
#include "serve/model.h"
#include "serve/tensor.h"
#include "store/store.h"

namespace slipway::serve {
namespace {

TEST(Tensor, ReadsFlatAndNestedDataAndChecksItAgainstTheShape) {
  auto flat = tensor_from_json(
      Json::parse(R"({"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3, 4]})"));
  auto nested = tensor_from_json(Json::parse(
      R"({"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [[1, 2], [3, 4]]})"));
  ASSERT_TRUE(flat.ok() && nested.ok());
  EXPECT_EQ(flat->numbers, nested->numbers);
  EXPECT_EQ(tensor_to_json(*flat)["data"], Json::parse("[1.0, 2.0, 3.0, 4.0]"));
  struct Case {
    const char* json;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"name": "x", "datatype": "INT8", "shape": [1], "data": [300]})",
            "out of range for INT8"},
           {R"({"name": "x", "datatype": "INT32", "shape": [1], "data": [1.5]})",
            "must be integers"},
           {R"({"name": "x", "datatype": "BOOL", "shape": [1], "data": [1]})", "true or false"},
           {R"({"name": "x", "datatype": "BYTES", "shape": [1], "data": [1]})", "must be strings"},
           {R"({"name": "x", "datatype": "FP32", "shape": [3], "data": [1, 2]})",
            "needs 3 elements, data has 2"},
           {R"({"name": "x", "datatype": "FP32", "shape": [100000, 100000], "data": []})",
            "too large"},
           {R"({"datatype": "FP32", "shape": [1], "data": [1]})", "no name"},
           {R"({"name": "x", "datatype": "FP32", "shape": "2", "data": [1]})", "no shape"},
       }) {
    auto t = tensor_from_json(Json::parse(c.json));
    ASSERT_FALSE(t.ok()) << c.json;
    EXPECT_NE(t.status().message().find(c.expected), std::string::npos) << t.status().message();
  }
  // A hostile body nests data a million levels deep: a 400-style error, not a stack overflow.
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  auto t = tensor_from_json(
      Json::parse(R"({"name": "x", "datatype": "FP32", "shape": [1], "data": )" + deep + "}"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("nested more than"), std::string::npos)
      << t.status().message();
}

TEST(Tensor, SlicesAndJoinsRows) {
  Tensor a{"x", "FP32", {2, 2}, {1, 2, 3, 4}, {}, Json::object()};
  Tensor b{"x", "FP32", {1, 2}, {5, 6}, {}, Json::object()};
  auto j = concat_rows({&a, &b});
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->shape, (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(slice_rows(*j, 1, 3).numbers, (std::vector<double>{3, 4, 5, 6}));
  Tensor c{"x", "FP32", {1, 3}, {1, 2, 3}, {}, Json::object()};
  EXPECT_FALSE(concat_rows({&a, &c}).ok()) << "rows of another width do not join";
}

// A batchable model that records each call's rows and answers each row with its first value × 2.
class Doubler : public Model {
 public:
  Doubler() {
    info_.kind = "test";
    info_.batchable = true;
    info_.inputs = {{"x", "FP32", {-1, 1}}};
    info_.outputs = {{"y", "FP32", {-1}}};
  }
  const ModelInfo& info() const override { return info_; }
  Result<std::vector<Tensor>> infer(const std::vector<Tensor>& in, const Json&) override {
    calls.push_back(static_cast<int>(in[0].shape[0]));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Tensor y{"y", "FP32", {in[0].shape[0]}, {}, {}, Json::object()};
    for (double v : in[0].numbers) y.numbers.push_back(2 * v);
    return std::vector<Tensor>{y};
  }
  Result<std::vector<Tensor>> from_instances(const Json&, Json*) const override {
    return InvalidInput("unused");
  }
  Json to_predictions(const std::vector<Tensor>&) const override { return {}; }
  std::vector<int> calls;

 private:
  ModelInfo info_;
};

TEST(Batcher, JoinsConcurrentRequestsAndGivesEachItsRows) {
  auto model = std::make_shared<Doubler>();
  std::atomic<int> batches{0};
  BatchPolicy policy;
  policy.max_batch_size = 8;
  policy.max_queue_delay = std::chrono::milliseconds(50);
  Batcher b(model, policy, [&](int, int) { ++batches; });
  std::vector<std::promise<InferResult>> done(20);
  for (int i = 0; i < 20; ++i) {
    Tensor x{"x", "FP32", {1, 1}, {static_cast<double>(i)}, {}, Json::object()};
    ASSERT_TRUE(b.submit({x}, Json::object(), [&done, i](InferResult r) {
                   done[static_cast<size_t>(i)].set_value(std::move(r));
                 }).ok());
  }
  for (int i = 0; i < 20; ++i) {
    InferResult r = done[static_cast<size_t>(i)].get_future().get();
    ASSERT_TRUE(r.outputs.ok());
    EXPECT_EQ(r.outputs->at(0).numbers, (std::vector<double>{2.0 * i}))
        << "request " << i << " got its own row back";
  }
  b.stop();
  EXPECT_LE(batches.load(), 4) << "20 one-row requests within the delay run as batches of up to 8";
  for (int rows : model->calls) EXPECT_LE(rows, 8);
  Tensor x{"x", "FP32", {1, 1}, {1}, {}, Json::object()};
  EXPECT_EQ(b.submit({x}, Json::object(), [](InferResult) {}).code(), ErrorCode::kUnavailable)
      << "a stopped batcher refuses work";
}

TEST(Batcher, RunsARequestAtOnceWhenTheModelIsIdleAndNothingWaits) {
  auto model = std::make_shared<Doubler>();
  Batcher b(model, BatchPolicy{}, nullptr);  // no queue delay
  bool answered = false;
  Tensor x{"x", "FP32", {1, 1}, {21}, {}, Json::object()};
  ASSERT_TRUE(b.submit({x}, Json::object(), [&](InferResult r) {
                 answered = r.outputs.ok() && r.outputs->at(0).numbers[0] == 42;
               }).ok());
  EXPECT_TRUE(answered) << "answered on the submitting thread, before submit returned";
}

// A model taking three calls at once (a pool of workers), recording how many overlap and which
// datatypes each call mixed.
class Pool : public Model {
 public:
  Pool() {
    info_.kind = "test";
    info_.batchable = true;
    info_.any_inputs = true;
    info_.concurrency = 3;
    info_.run_inline = false;
  }
  const ModelInfo& info() const override { return info_; }
  Result<std::vector<Tensor>> infer(const std::vector<Tensor>& in, const Json&) override {
    const int now = ++running;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    --running;
    if (in.empty() || in[0].shape.empty() || in[0].shape[0] == 0) ++empty_calls;
    Tensor y{"y", in[0].datatype, {in[0].shape[0]}, in[0].numbers, {}, Json::object()};
    return std::vector<Tensor>{y};
  }
  Result<std::vector<Tensor>> from_instances(const Json&, Json*) const override {
    return InvalidInput("unused");
  }
  Json to_predictions(const std::vector<Tensor>&) const override { return {}; }
  std::atomic<int> running{0}, peak{0}, empty_calls{0};

 private:
  ModelInfo info_;
};

TEST(Batcher, RunsAsManyCallsAtOnceAsTheModelTakesAndJoinsOnlyMatchingInputs) {
  auto model = std::make_shared<Pool>();
  BatchPolicy policy;
  policy.max_batch_size = 4;
  Batcher b(model, policy, nullptr);
  constexpr int kRequests = 60;
  std::vector<std::promise<InferResult>> done(kRequests);
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c)
    clients.emplace_back([&, c] {
      for (int i = c; i < kRequests; i += 6) {
        // FP32 and FP64 requests interleave: the same model takes both, one batch cannot.
        Tensor x{"x", i % 2 ? "FP64" : "FP32", {1, 1}, {static_cast<double>(i)},
                 {},  Json::object()};
        ASSERT_TRUE(b.submit({x}, Json::object(), [&done, i](InferResult r) {
                       done[static_cast<size_t>(i)].set_value(std::move(r));
                     }).ok());
      }
    });
  for (auto& t : clients) t.join();
  for (int i = 0; i < kRequests; ++i) {
    InferResult r = done[static_cast<size_t>(i)].get_future().get();
    ASSERT_TRUE(r.outputs.ok()) << r.outputs.status().message();
    EXPECT_EQ(r.outputs->at(0).numbers, (std::vector<double>{static_cast<double>(i)}));
    EXPECT_EQ(r.outputs->at(0).datatype, i % 2 ? "FP64" : "FP32") << "request " << i;
  }
  b.stop();
  EXPECT_EQ(model->peak.load(), 3) << "three calls ran at once, never more";
  EXPECT_EQ(model->empty_calls.load(), 0) << "no worker ran an empty batch";
}

TEST(ModelInputs, AreCheckedByNameDatatypeAndShape) {
  Doubler d;
  Tensor ok{"x", "FP32", {3, 1}, {1, 2, 3}, {}, Json::object()};
  EXPECT_TRUE(check_inputs(d.info(), {ok}).ok());
  Tensor wide{"x", "FP32", {1, 2}, {1, 2}, {}, Json::object()};
  EXPECT_NE(check_inputs(d.info(), {wide}).message().find("takes [-1, 1]"), std::string::npos);
  EXPECT_NE(check_inputs(d.info(), {}).message().find("'x' is missing"), std::string::npos);
}

TEST(Metrics, RendersThePrometheusTextFormat) {
  Metrics m;
  m.describe_counter("requests_total", "Requests.");
  m.describe_histogram("latency_seconds", "Latency.", {0.1, 1});
  m.add("requests_total", {{"model", "a\"b"}, {"code", "200"}});
  m.add("requests_total", {{"model", "a\"b"}, {"code", "200"}}, 2);
  m.observe("latency_seconds", {{"model", "m"}}, 0.05);
  m.observe("latency_seconds", {{"model", "m"}}, 5);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("requests_total{model=\"a\\\"b\",code=\"200\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("latency_seconds_bucket{model=\"m\",le=\"0.10000000000000001\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("latency_seconds_bucket{model=\"m\",le=\"+Inf\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("latency_seconds_count{model=\"m\"} 2\n"), std::string::npos);
  m.forget("requests_total", {{"code", "200"}});
  EXPECT_EQ(m.value("requests_total", {{"model", "a\"b"}, {"code", "200"}}), 0);
}

TEST(Drift, PsiIsSmallForTheTrainingDistributionAndLargeAwayFromIt) {
  std::vector<std::vector<double>> train;
  for (int i = 0; i < 1000; ++i)
    train.push_back({static_cast<double>(i % 100), static_cast<double>(i % 3)});
  auto stats = ml::compute_feature_stats({"uniform", "three_values"}, train);
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].edges.size(), 9u) << "deciles of a continuous feature";
  EXPECT_EQ(stats[1].edges.size(), 2u) << "a feature with three values has three bins";
  auto back = ml::feature_stats_from_json(ml::feature_stats_to_json(stats));
  ASSERT_TRUE(back.ok());
  DriftMonitor same(*back, 500), shifted(*back, 500);
  for (int i = 0; i < 700; ++i) {
    same.observe({{static_cast<double>((i * 7) % 100), static_cast<double>(i % 3)}});
    shifted.observe({{150.0 + i % 10, 2.0}});
  }
  EXPECT_EQ(same.rows(), 500u) << "the window keeps the most recent rows";
  for (const auto& d : same.drift()) EXPECT_LT(d.psi, 0.1) << d.name;
  for (const auto& d : shifted.drift()) EXPECT_GT(d.psi, 0.25) << d.name;
}

TEST(Registry, KeepsOneProductionVersionAndItsHistory) {
  auto home =
      std::filesystem::temp_directory_path() / ("slipway-registry-" + std::to_string(::getpid()));
  std::filesystem::remove_all(home);
  auto store = store::Store::open(home);
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (int v = 1; v <= 3; ++v) {
    store::ModelVersionRecord r;
    r.name = "iris";
    r.version = v;
    r.uri = "/models/iris/" + std::to_string(v);
    r.stage = v == 1 ? "production" : "staging";
    r.created_ms = v;
    ASSERT_TRUE((*store)->insert_model_version(r).ok());
  }
  store::ModelVersionRecord dup;
  dup.name = "iris";
  dup.version = 2;
  dup.uri = "x";
  EXPECT_EQ((*store)->insert_model_version(dup).code(), ErrorCode::kConflict);
  EXPECT_EQ((*store)->production_version("iris"), 1);
  ASSERT_TRUE((*store)->set_model_stage("iris", 3, "production", "better").ok());
  EXPECT_EQ((*store)->production_version("iris"), 3);
  EXPECT_EQ((*store)->get_model_version("iris", 1)->stage, "archived")
      << "promoting archives the previous production version";
  EXPECT_EQ((*store)->set_model_stage("iris", 3, "prod", "").code(), ErrorCode::kInvalidInput);
  EXPECT_EQ((*store)->set_model_stage("iris", 9, "production", "").code(), ErrorCode::kNotFound);
  auto history = (*store)->stage_history("iris");
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history.back().version, 3);
  EXPECT_EQ(history.back().stage, "production");
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace slipway::serve
