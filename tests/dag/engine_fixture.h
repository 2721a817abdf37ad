// For engine tests: a fixture that runs a native pipeline on the real local backend over a real
// store in a temporary directory, and reads back its tasks.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "backends/local/local_backend.h"
#include "core/clock.h"
#include "dag/engine.h"
#include "tests/dag/native_run.h"

namespace slipway {

namespace fs = std::filesystem;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("slipway-engine-" + random_hex(8));
    auto s = store::Store::open(home_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  void TearDown() override { fs::remove_all(home_); }

  // Runs a pipeline to the end; returns the final run state.
  std::string run(const std::string& yaml, dag::EngineOptions opts = {},
                  backends::LocalCapacity cap = {4000, 0, 0},
                  std::function<void(dag::Engine&)> during = nullptr) {
    store::RunRecord r = insert_native_run(*store_, yaml, "t.yaml", home_, &spec_);
    run_id_ = r.id;
    backends::LocalBackend backend(cap);
    opts.kill_grace_ms = 500;
    dag::Engine* ep = nullptr;
    if (during) opts.on_tick = [&] { during(*ep); };
    dag::Engine engine(*store_, backend, spec_, r, opts);
    ep = &engine;
    auto final = engine.run();
    EXPECT_TRUE(final.ok()) << final.status().message();
    return final.ok() ? *final : "ERROR";
  }

  store::TaskRecord task(const std::string& name) {
    auto t = store_->get_task(run_id_, name);
    EXPECT_TRUE(t.ok()) << name;
    return t.ok() ? *t : store::TaskRecord{};
  }

  // Fan-out items that record "start\nend" (ns) in an artifact output: their time spans.
  std::vector<std::pair<long long, long long>> spans(const std::string& task_name, int items,
                                                     const std::string& output) {
    std::vector<std::pair<long long, long long>> out;
    for (int i = 0; i < items; ++i) {
      std::ifstream in(task(task_name + "[" + std::to_string(i) + "]")
                           .outputs[output]["uri"]
                           .get<std::string>());
      long long a = 0, b = 0;
      in >> a >> b;
      out.push_back({a, b});
    }
    return out;
  }

  // The most spans in progress at any span's start.
  static int max_overlap(const std::vector<std::pair<long long, long long>>& spans) {
    int most = 0;
    for (const auto& s : spans) {
      int n = 0;
      for (const auto& o : spans) n += o.first <= s.first && s.first < o.second;
      most = std::max(most, n);
    }
    return most;
  }

  fs::path home_;
  std::unique_ptr<store::Store> store_;
  spec::PipelineSpec spec_;
  std::string run_id_;
};

}  // namespace slipway
