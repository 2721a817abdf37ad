// The run list's keyset paging (every run exactly once, ties in created_ms included), filters,
// namespaces, experiment ownership, and API tokens.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "api/auth.h"
#include "api/request.h"
#include "core/clock.h"
#include "store/store.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;

class TenancyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("slipway-store-" + random_hex(8));
    store_ = std::move(*store::Store::open(home_));
  }
  void TearDown() override { fs::remove_all(home_); }

  void add_run(const std::string& id, std::int64_t created, const std::string& ns,
               const std::string& state) {
    store::RunRecord r;
    r.id = id;
    r.pipeline = "p";
    r.source = "a long pipeline text";
    r.state = state;
    r.created_ms = created;
    r.ns = ns;
    ASSERT_TRUE(store_->insert_run(r).ok());
  }

  fs::path home_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(TenancyStoreTest, KeysetPagesReturnEveryRunOnceNewestFirstEvenWithTies) {
  ASSERT_TRUE(store_->begin().ok());
  for (int i = 0; i < 250; ++i)
    add_run("run-" + std::to_string(1000 + i), 1000 + i / 7, i % 2 ? "a" : "b",
            i % 3 ? "SUCCEEDED" : "FAILED");
  ASSERT_TRUE(store_->commit().ok());
  store::RunFilter f;
  f.ns = "a";
  f.limit = 10;
  f.with_source = false;
  std::vector<std::string> seen;
  std::int64_t last_created = INT64_MAX;
  for (;;) {
    auto page = store_->list_runs(f);
    for (const auto& r : page) {
      EXPECT_EQ(r.ns, "a");
      EXPECT_EQ(r.source, "") << "lists leave out the pipeline text";
      EXPECT_LE(r.created_ms, last_created) << "newest first";
      last_created = r.created_ms;
      seen.push_back(r.id);
    }
    if (page.size() < 10) break;
    f.before_ms = page.back().created_ms;
    f.before_id = page.back().id;
  }
  EXPECT_EQ(seen.size(), 125u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 125u)
      << "no run twice across pages";
  store::RunFilter failed;
  failed.state = "FAILED";
  failed.limit = 1000;
  EXPECT_EQ(store_->list_runs(failed).size(), 84u);
  failed.ns = "b";
  for (const auto& r : store_->list_runs(failed)) EXPECT_TRUE(r.ns == "b" && r.state == "FAILED");
}

TEST_F(TenancyStoreTest, AnExperimentNameBelongsToOneNamespace) {
  ASSERT_TRUE(store_->ensure_experiment("tuning", "a").ok());
  EXPECT_TRUE(store_->ensure_experiment("tuning", "a").ok()) << "idempotent in its own namespace";
  Status other = store_->ensure_experiment("tuning", "b");
  EXPECT_EQ(other.code(), ErrorCode::kConflict);
  EXPECT_TRUE(store_->ensure_experiment("Default", "b").ok()) << "Default is everyone's";
  auto b = store_->list_experiments("b");
  for (const auto& e : b) EXPECT_NE(e.name, "tuning");
}

TEST_F(TenancyStoreTest, TokensAreCheckedByHashAndCanBeRevoked) {
  auto secret = store_->create_token("team-a", false, "ci", now_ms());
  ASSERT_TRUE(secret.ok());
  auto found = store_->find_token(*secret);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->ns, "team-a");
  EXPECT_FALSE(found->admin);
  EXPECT_FALSE(store_->find_token(*secret + "x").has_value());
  store::Stmt& s = store_->db().prepare("SELECT count(*) FROM api_tokens WHERE sha256 = ?");
  s.bind(1, *secret);
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.integer(0), 0) << "the secret itself is not stored";
  s.reset();
  ASSERT_TRUE(store_->revoke_token(found->id, now_ms()).ok());
  EXPECT_FALSE(store_->find_token(*secret).has_value());
  EXPECT_EQ(store_->revoke_token(found->id, now_ms()).code(), ErrorCode::kNotFound);
}

TEST_F(TenancyStoreTest, AuthenticationAndNamespaceRules) {
  auto member = *store_->create_token("team-a", false, "", now_ms());
  auto admin = *store_->create_token("ops", true, "", now_ms());
  EXPECT_EQ(api::authenticate(*store_, "", true).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(api::authenticate(*store_, "Basic " + member, true).status().code(),
            ErrorCode::kUnauthenticated);
  auto who = api::authenticate(*store_, "Bearer " + member, true);
  ASSERT_TRUE(who.ok());
  EXPECT_TRUE(who->can_access("team-a"));
  EXPECT_FALSE(who->can_access("team-b"));
  EXPECT_EQ(*api::namespace_for(*who, "", true), "team-a") << "a member lists its own namespace";
  EXPECT_EQ(api::namespace_for(*who, "team-b", true).status().code(), ErrorCode::kNotFound);
  auto root = api::authenticate(*store_, "Bearer " + admin, true);
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->can_access("team-b"));
  EXPECT_EQ(*api::namespace_for(*root, "", true), "") << "an admin lists every namespace";
  EXPECT_EQ(*api::namespace_for(*root, "team-b", false), "team-b");
  auto open = api::authenticate(*store_, "", false);
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->admin) << "with auth off, everyone is the admin of default";
}

TEST(ApiRequest, DecodesPathSegmentsAndQuery) {
  auto r = api::ApiRequest::from(
      {"GET", "/api/v1/runs/a%20b/tasks/train%5B3%5D/logs/?offset=12&state=FAILED&x=%zz&flag", "",
       "", "", ""});
  ASSERT_EQ(r.seg.size(), 7u);
  EXPECT_EQ(r.seg[3], "a b");
  EXPECT_EQ(r.seg[5], "train[3]");
  EXPECT_EQ(r.param("state"), "FAILED");
  EXPECT_EQ(r.param("x"), "%zz") << "an invalid escape is kept as typed";
  EXPECT_EQ(r.param("flag", "unset"), "");
  EXPECT_EQ(*r.int_param("offset", 0, 0, 100), 12);
  EXPECT_EQ(r.int_param("offset", 0, 0, 10).status().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(r.int_param("state", 0, 0, 10).status().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(*r.int_param("missing", 7, 0, 10), 7);
}

}  // namespace
}  // namespace slipway
