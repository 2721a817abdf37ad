// The store under injected faults (store/fault_vfs.h: real SQLite, with chosen writes failing or
// the write lock answering SQLITE_BUSY): a failed BEGIN or COMMIT leaves nothing behind, and the
// next batch works as if the failure had never happened.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/clock.h"
#include "store/fault_vfs.h"
#include "store/store.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;

class StoreFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("slipway-faults-" + random_hex(8));
    ASSERT_TRUE(store::faults::arm("").ok());  // installs the VFS before the store opens
    auto s = store::Store::open(home_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    store_->db().set_busy_timeout(20);  // a busy store fails fast here
  }
  void TearDown() override {
    store::faults::disarm();
    store_.reset();
    fs::remove_all(home_);
  }
  // Events as another process sees them: only what was committed.
  std::int64_t committed_events() {
    auto other = store::Store::open(home_);
    EXPECT_TRUE(other.ok());
    return other.ok() ? (*other)->count_events("r") : -1;
  }

  fs::path home_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(StoreFaultsTest, PlansThatDoNotParseAreRefusedWithTheRightForm) {
  for (const char* bad :
       {"write", "write@", "write@0", "write@x", "fsync@3", "write@5-2", "busy@3*"}) {
    Status s = store::faults::arm(bad);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidInput) << bad;
    EXPECT_NE(s.message().find("KIND@N"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(store::faults::arm("write@5, write@7-9,busy@2+").ok());
}

TEST_F(StoreFaultsTest, ABusyBeginLeavesNoBatchOpen) {
  ASSERT_TRUE(store::faults::arm("busy@1+").ok());
  Status busy = store_->begin();
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.message().find("locked"), std::string::npos) << busy.message();
  EXPECT_GE(store::faults::write_locks_seen(), 1);
  store::faults::disarm();
  // Had the failed begin counted as an open batch, this begin would only nest, the event would
  // be written outside any transaction, and the rollback could not take it back.
  ASSERT_TRUE(store_->begin().ok());
  ASSERT_TRUE(store_->add_event("r", "t", "X", "", 1).ok());
  ASSERT_TRUE(store_->rollback().ok());
  EXPECT_EQ(committed_events(), 0);
  ASSERT_TRUE(store_->begin().ok());
  ASSERT_TRUE(store_->add_event("r", "t", "Y", "", 2).ok());
  ASSERT_TRUE(store_->commit().ok());
  EXPECT_EQ(committed_events(), 1);
}

TEST_F(StoreFaultsTest, AFailedCommitKeepsNothingAndTheNextBatchWorks) {
  ASSERT_TRUE(store_->begin().ok());
  ASSERT_TRUE(store_->add_event("r", "t", "X", "", 1).ok());
  ASSERT_TRUE(store::faults::arm("write@1+").ok());
  Status c = store_->commit();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("I/O"), std::string::npos) << c.message();
  store::faults::disarm();
  EXPECT_EQ(committed_events(), 0);
  ASSERT_TRUE(store_->begin().ok()) << "the failed commit left a transaction open";
  ASSERT_TRUE(store_->add_event("r", "t", "Y", "", 2).ok());
  ASSERT_TRUE(store_->commit().ok());
  EXPECT_EQ(committed_events(), 1);
}

TEST_F(StoreFaultsTest, AOneOffWriteFaultFailsThatStatementOnly) {
  ASSERT_TRUE(store::faults::arm("write@1").ok());
  EXPECT_FALSE(store_->add_event("r", "t", "X", "", 1).ok());
  EXPECT_TRUE(store_->add_event("r", "t", "Y", "", 2).ok());
  EXPECT_EQ(committed_events(), 1);
}

}  // namespace
}  // namespace slipway
