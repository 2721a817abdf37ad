// What the Kubeflow Pipelines API keeps in the store: experiments by id with archiving, runs
// listed by conditions and keyset pages, uploaded pipelines and versions, run deletion.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "core/clock.h"
#include "store/store.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;

class KfpCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("slipway-kfp-store-" + random_hex(8));
    store_ = std::move(*store::Store::open(home_));
  }
  void TearDown() override { fs::remove_all(home_); }

  void add_run(const std::string& id, std::int64_t created, const std::string& state,
               const std::string& experiment = "Default", const std::string& name = "") {
    store::RunRecord r;
    r.id = id;
    r.pipeline = "p";
    r.source = "text";
    r.state = state;
    r.created_ms = created;
    r.experiment = experiment;
    r.display_name = name.empty() ? id : name;
    ASSERT_TRUE(store_->insert_run(r).ok());
  }

  fs::path home_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(KfpCatalogTest, ExperimentsHaveIdsAndNamesAreUnique) {
  auto e = store_->create_experiment("tuning", "team-a", "lr sweeps");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->id.size(), 36u) << "a UUID";
  auto by_id = store_->get_experiment(e->id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->name, "tuning");
  EXPECT_EQ(by_id->description, "lr sweeps");
  EXPECT_EQ(store_->create_experiment("tuning", "team-a", "").status().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(store_->get_experiment("no-such-id").status().code(), ErrorCode::kNotFound);
  auto def = store_->find_experiment("Default");
  ASSERT_TRUE(def.ok());
  EXPECT_FALSE(def->id.empty()) << "the migration gave the existing Default an id";
  // A namespace's list holds its own experiments and the shared Default.
  store::ListQuery q;
  auto page = store_->query_experiments(q, "team-a");
  ASSERT_TRUE(page.ok());
  std::set<std::string> names;
  for (const auto& x : page->items) names.insert(x.name);
  EXPECT_EQ(names, (std::set<std::string>{"Default", "tuning"}));
  EXPECT_EQ(store_->query_experiments(q, "team-b")->total, 1);
}

TEST_F(KfpCatalogTest, ArchivingAnExperimentArchivesItsRunsAndDisablesItsSchedules) {
  auto e = store_->create_experiment("nightly", "default", "");
  ASSERT_TRUE(e.ok());
  add_run("r1", 1000, "SUCCEEDED", "nightly");
  add_run("r2", 2000, "SUCCEEDED", "Default");
  store::ScheduleRecord s;
  s.id = "sched-1";
  s.name = "n";
  s.pipeline_file = "p.yaml";
  s.source = "text";
  s.experiment = "nightly";
  s.interval_s = 60;
  ASSERT_TRUE(store_->insert_schedule(s).ok());
  ASSERT_TRUE(store_->set_experiment_archived(e->id, true).ok());
  EXPECT_TRUE(store_->get_experiment(e->id)->archived);
  EXPECT_TRUE(store_->get_run("r1")->archived);
  EXPECT_FALSE(store_->get_run("r2")->archived) << "another experiment's run is untouched";
  EXPECT_FALSE(store_->get_schedule("sched-1")->enabled);
  EXPECT_EQ(store_->get_experiment(e->id)->last_run_created_ms, 1000);
  ASSERT_TRUE(store_->set_experiment_archived(e->id, false).ok());
  EXPECT_FALSE(store_->get_experiment(e->id)->archived);
  EXPECT_TRUE(store_->get_run("r1")->archived) << "unarchiving restores the experiment alone";
}

TEST_F(KfpCatalogTest, AnExperimentWithRunsIsNotDeleted) {
  auto e = store_->create_experiment("scratch", "default", "");
  ASSERT_TRUE(e.ok());
  add_run("r1", 1000, "SUCCEEDED", "scratch");
  Status refused = store_->delete_experiment(e->id);
  EXPECT_EQ(refused.code(), ErrorCode::kConflict);
  EXPECT_NE(refused.message().find("1 run(s)"), std::string::npos) << refused.message();
  ASSERT_TRUE(store_->delete_run("r1").ok());
  ASSERT_TRUE(store_->delete_experiment(e->id).ok());
  EXPECT_EQ(store_->get_experiment(e->id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->delete_experiment(store_->find_experiment("Default")->id).code(),
            ErrorCode::kInvalidInput);
}

TEST_F(KfpCatalogTest, DeletingARunRemovesItsRecordsButNotAnActiveOne) {
  add_run("live", 1000, "RUNNING");
  add_run("done", 1000, "FAILED");
  store::TaskRecord t;
  t.run_id = "done";
  t.name = "a";
  t.templ = "a";
  t.state = "FAILED";
  ASSERT_TRUE(store_->upsert_task(t).ok());
  EXPECT_EQ(store_->delete_run("live").code(), ErrorCode::kConflict);
  ASSERT_TRUE(store_->delete_run("done").ok());
  EXPECT_EQ(store_->get_run("done").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store_->list_tasks("done").empty());
}

TEST_F(KfpCatalogTest, RunPagesVisitEveryRunOnceInEitherDirection) {
  // Ties in created_ms across page boundaries: the id breaks them.
  for (int i = 0; i < 25; ++i)
    add_run("run-" + std::to_string(100 + i), 1000 + (i / 3) * 10, i % 2 ? "FAILED" : "SUCCEEDED");
  for (bool desc : {false, true}) {
    store::ListQuery q;
    q.desc = desc;
    q.limit = 7;
    std::vector<std::string> seen;
    std::int64_t last = desc ? 1 << 30 : 0;
    for (int pages = 0;; ++pages) {
      ASSERT_LT(pages, 10);
      auto page = store_->query_runs(q, "");
      ASSERT_TRUE(page.ok()) << page.status().message();
      EXPECT_EQ(page->total, 25);
      for (const auto& r : page->items) {
        EXPECT_TRUE(desc ? r.created_ms <= last : r.created_ms >= last) << "in order";
        last = r.created_ms;
        seen.push_back(r.id);
        EXPECT_TRUE(r.source.empty()) << "lists leave the pipeline text out";
      }
      if (!page->more) break;
      EXPECT_EQ(std::get<std::int64_t>(page->last_sort), page->items.back().created_ms);
      EXPECT_EQ(page->last_id, page->items.back().id);
      q.after_value = page->last_sort;
      q.after_id = page->last_id;
    }
    EXPECT_EQ(seen.size(), 25u);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 25u) << "none twice";
  }
}

TEST_F(KfpCatalogTest, RunConditionsFilterAndUnknownColumnsAreRefused) {
  add_run("a", 1000, "SUCCEEDED", "Default", "training-run-001");
  add_run("b", 2000, "FAILED", "Default", "training-run-002");
  add_run("c", 3000, "RUNNING", "Default", "other");
  store::ListQuery q;
  q.where.push_back({"display_name", "LIKE", {std::string("%training%")}});
  q.where.push_back({"state", "IN", {std::string("FAILED"), std::string("RUNNING")}});
  auto page = store_->query_runs(q, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, "b");
  store::ListQuery times;
  times.where.push_back({"created_ms", ">=", {std::int64_t{2000}}});
  EXPECT_EQ(store_->query_runs(times, "")->total, 2);
  store::ListQuery bad;
  bad.where.push_back({"source; DROP TABLE runs", "=", {std::string("x")}});
  auto refused = store_->query_runs(bad, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("cannot filter on"), std::string::npos);
  store::ListQuery bad_sort;
  bad_sort.sort = "source";
  EXPECT_EQ(store_->query_runs(bad_sort, "").status().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(store_->query_runs(store::ListQuery{}, "team-x")->total, 0) << "a namespace's own";
}

TEST_F(KfpCatalogTest, PipelinesAndTheirVersions) {
  store::PipelineRecord p{"pid-1", "default", "ml-training", "ML training", "", 1000};
  ASSERT_TRUE(store_->insert_pipeline(p).ok());
  EXPECT_EQ(store_->insert_pipeline({"pid-2", "default", "ml-training", "", "", 1}).code(),
            ErrorCode::kConflict)
      << "a name is unique in its namespace";
  EXPECT_TRUE(store_->insert_pipeline({"pid-3", "team-a", "ml-training", "", "", 1}).ok());
  EXPECT_EQ(store_->find_pipeline("default", "ml-training")->id, "pid-1");
  EXPECT_EQ(store_->latest_pipeline_version("pid-1").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(
      store_->insert_pipeline_version({"v1", "pid-1", "v1", "v1", "", "text 1", "", 1000}).ok());
  ASSERT_TRUE(
      store_->insert_pipeline_version({"v2", "pid-1", "v2", "v2", "", "text 2", "", 2000}).ok());
  EXPECT_EQ(store_->insert_pipeline_version({"v3", "pid-1", "v2", "", "", "t", "", 3000}).code(),
            ErrorCode::kConflict);
  EXPECT_EQ(store_->latest_pipeline_version("pid-1")->source, "text 2");
  EXPECT_EQ(store_->query_pipeline_versions(store::ListQuery{}, "pid-1")->total, 2);
  EXPECT_EQ(store_->query_pipelines(store::ListQuery{}, "team-a")->total, 1);
  EXPECT_EQ(store_->delete_pipeline("pid-1", false).code(), ErrorCode::kConflict);
  ASSERT_TRUE(store_->delete_pipeline("pid-1", true).ok());
  EXPECT_EQ(store_->get_pipeline_version("v1").status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace slipway
