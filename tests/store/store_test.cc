#include "store/store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "core/clock.h"
#include "store/schema.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { home_ = fs::temp_directory_path() / ("slipway-store-" + random_hex(8)); }
  void TearDown() override { fs::remove_all(home_); }
  fs::path home_;
};

// Several slipway processes opening a store that does not exist yet (a `runs ls` polling beside
// the first `run`) all get it: none is refused with "database is locked" while another one creates
// it. The race is narrow, so it is tried many times over.
TEST_F(StoreTest, ProcessesOpeningANewStoreTogetherAllSucceed) {
  for (int round = 0; round < 40; ++round) {
    fs::path home = home_ / std::to_string(round);
    std::vector<pid_t> children;
    for (int i = 0; i < 3; ++i) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) _exit(store::Store::open(home).ok() ? 0 : 1);
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
  }
}

TEST_F(StoreTest, FreshStoreIsMigratedToTheLatestSchemaInWalMode) {
  auto s = store::Store::open(home_);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(store::schema_version((*s)->db()), static_cast<int>(store::schema_migrations().size()));
  store::Stmt& st = (*s)->db().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "wal");
  st.reset();
}

TEST_F(StoreTest, MigrationIsIdempotentAndKeepsData) {
  {
    auto s = store::Store::open(home_);
    ASSERT_TRUE(s.ok());
    store::RunRecord r;
    r.id = "keep-me";
    r.pipeline = "p";
    r.state = "SUCCEEDED";
    r.created_ms = now_ms();
    ASSERT_TRUE((*s)->insert_run(r).ok());
  }
  auto again = store::Store::open(home_);
  ASSERT_TRUE(again.ok());
  auto r = (*again)->get_run("keep-me");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, "SUCCEEDED");
}

TEST_F(StoreTest, StepwiseMigrationFromAnEmptyDatabase) {
  fs::create_directories(home_);
  auto db = store::Db::open((home_ / "slipway.db").string());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(store::schema_version(**db), 0);
  ASSERT_TRUE(migrate(**db, 1).ok());
  EXPECT_EQ(store::schema_version(**db), 1);
  ASSERT_TRUE(migrate(**db).ok());
  EXPECT_EQ(store::schema_version(**db), static_cast<int>(store::schema_migrations().size()));
}

TEST_F(StoreTest, ANewerStoreIsRefusedNotDamaged) {
  fs::create_directories(home_);
  {
    auto db = store::Db::open((home_ / "slipway.db").string());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("PRAGMA user_version = 999").ok());
  }
  auto s = store::Store::open(home_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("newer than this slipway understands"), std::string::npos);
}

TEST_F(StoreTest, RunPrefixLookupAndLease) {
  auto s = store::Store::open(home_);
  ASSERT_TRUE(s.ok());
  store::Store& st = **s;
  store::RunRecord r;
  r.id = "iris-abcdef12";
  r.pipeline = "iris";
  r.state = "PENDING";
  r.created_ms = now_ms();
  ASSERT_TRUE(st.insert_run(r).ok());
  auto found = st.get_run("iris-abc");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, r.id);
  EXPECT_EQ(st.get_run("nope").status().code(), ErrorCode::kNotFound);
  // A live lease (our own pid, fresh heartbeat) blocks a second driver.
  ASSERT_TRUE(st.acquire_lease(r.id, getpid(), "h", now_ms(), 10'000).ok());
  EXPECT_EQ(st.acquire_lease(r.id, getpid() + 100000, "h", now_ms(), 10'000).code(),
            ErrorCode::kConflict);
  // A stale one does not.
  EXPECT_TRUE(st.acquire_lease(r.id, getpid() + 100000, "h", now_ms() + 60'000, 10'000).ok());
}

TEST_F(StoreTest, BatchesRollBackTogether) {
  auto s = store::Store::open(home_);
  ASSERT_TRUE(s.ok());
  store::Store& st = **s;
  ASSERT_TRUE(st.begin().ok());
  ASSERT_TRUE(st.add_event("r", "t", "X", "", 1).ok());
  ASSERT_TRUE(st.add_event("r", "t", "Y", "", 2).ok());
  ASSERT_TRUE(st.rollback().ok());
  EXPECT_EQ(st.count_events("r"), 0);
  ASSERT_TRUE(st.begin().ok());
  ASSERT_TRUE(st.add_event("r", "t", "X", "", 1).ok());
  ASSERT_TRUE(st.commit().ok());
  EXPECT_EQ(st.count_events("r"), 1);
}

}  // namespace
}  // namespace slipway
