// The distributed sampler's arithmetic and the checkpoint file's guarantees.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/clock.h"
#include "models/checkpoint.h"
#include "train/sampler.h"

namespace slipway {
namespace {

namespace fs = std::filesystem;

TEST(Sampler, RanksSplitEachGlobalBatchExactly) {
  // 4 ranks see exactly the rows 1 rank sees at the same step, in the same order.
  train::DistributedSampler one(100, 8, 1, 7);
  std::vector<train::DistributedSampler> four(4, train::DistributedSampler(100, 8, 4, 7));
  for (int step = 0; step < 40; ++step) {  // 3+ epochs: 12 full batches each, 4 rows dropped
    std::vector<std::uint64_t> whole = one.next(0), joined;
    for (int r = 0; r < 4; ++r) {
      auto part = four[static_cast<size_t>(r)].next(r);
      ASSERT_EQ(part.size(), 2u);
      joined.insert(joined.end(), part.begin(), part.end());
    }
    ASSERT_EQ(joined, whole) << "step " << step;
  }
  EXPECT_EQ(one.state().epoch, 3);
}

TEST(Sampler, EpochsArePermutationsThatDependOnTheSeed) {
  auto p = train::DistributedSampler::permutation(1000, 1, 0);
  EXPECT_EQ(std::set<std::uint64_t>(p.begin(), p.end()).size(), 1000u);
  EXPECT_NE(p, train::DistributedSampler::permutation(1000, 1, 1));
  EXPECT_NE(p, train::DistributedSampler::permutation(1000, 2, 0));
  EXPECT_EQ(p, train::DistributedSampler::permutation(1000, 1, 0));
}

TEST(Sampler, ResumesMidEpoch) {
  train::DistributedSampler a(50, 5, 1, 3);
  for (int i = 0; i < 13; ++i) a.next(0);
  train::DistributedSampler b(50, 5, 1, 3);
  b.restore(a.state());
  for (int i = 0; i < 20; ++i) ASSERT_EQ(a.next(0), b.next(0));
}

TEST(Sampler, RefusesBatchesThatDoNotDivide) {
  EXPECT_FALSE(train::DistributedSampler::check(100, 10, 4).ok());
  EXPECT_FALSE(train::DistributedSampler::check(5, 8, 1).ok());
  EXPECT_TRUE(train::DistributedSampler::check(100, 8, 4).ok());
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-ckpt-" + random_hex(6));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  models::CheckpointState state(std::int64_t step) {
    models::CheckpointState s;
    s.signature = "mlp:4:8:3";
    s.step = step;
    s.sampler = {2, 40};
    s.seed = 9;
    for (int i = 0; i < 4000; ++i) {
      s.params.push_back(static_cast<float>(i) * 0.25f);
      s.adam_m.push_back(static_cast<float>(i) * -0.5f);
      s.adam_v.push_back(static_cast<float>(i));
    }
    return s;
  }
  fs::path dir_;
};

TEST_F(CheckpointTest, RoundTripsExactly) {
  std::string path = (dir_ / "c.h5").string();
  ASSERT_TRUE(models::write_checkpoint(path, state(7)).ok());
  auto back = models::read_checkpoint(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->params, state(7).params);
  EXPECT_EQ(back->adam_v, state(7).adam_v);
  EXPECT_EQ(back->step, 7);
  EXPECT_EQ(back->sampler.offset, 40);
  EXPECT_EQ(back->signature, "mlp:4:8:3");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(CheckpointTest, CorruptionIsRefused) {
  std::string path = (dir_ / "c.h5").string();
  ASSERT_TRUE(models::write_checkpoint(path, state(1)).ok());
  // Flip bytes in the middle of the file (inside the parameter data): the checksum catches it.
  auto size = fs::file_size(path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    for (std::uint64_t off = size / 3; off < size / 3 + 64; ++off) {
      f.seekp(static_cast<std::streamoff>(off));
      f.put('\x5a');
    }
  }
  auto r = models::read_checkpoint(path);
  EXPECT_FALSE(r.ok());
  // A truncated file and a file that is not HDF5 at all.
  fs::resize_file(path, size / 2);
  EXPECT_FALSE(models::read_checkpoint(path).ok());
  std::ofstream((dir_ / "junk.h5").string()) << "hello";
  auto junk = models::read_checkpoint((dir_ / "junk.h5").string());
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("not a readable HDF5 file"), std::string::npos)
      << junk.status().message();
}

TEST_F(CheckpointTest, WriterKeepsTheNewestAndPointsAtTheLatest) {
  {
    models::CheckpointWriter w(dir_.string(), 2);
    for (int s = 1; s <= 4; ++s) w.submit(state(s * 10));
    ASSERT_TRUE(w.flush().ok());
  }
  auto latest = models::latest_checkpoint(dir_.string());
  ASSERT_TRUE(latest.ok() && *latest);
  EXPECT_EQ(fs::path(**latest).filename(), "step-00000040.h5");
  EXPECT_TRUE(fs::exists(dir_ / "step-00000030.h5"));
  EXPECT_FALSE(fs::exists(dir_ / "step-00000020.h5"));
  auto none = models::latest_checkpoint((dir_ / "empty").string());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
}

}  // namespace
}  // namespace slipway
