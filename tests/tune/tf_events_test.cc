// The TensorFlowEvent collector: TFRecord framing with CRC-32C, Event messages encoded here by
// hand from TensorFlow's field numbers (so the test holds the reader to TensorFlow's wire format,
// not to our own .proto), records cut short while a trial writes, damaged records, and Katib's
// rule for matching tags to metric names.
#include "tune/tf_events.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace slipway {
namespace {

namespace fs = std::filesystem;

std::string varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) out += static_cast<char>((v & 0x7f) | 0x80), v >>= 7;
  return out + static_cast<char>(v);
}
std::string key(int field, int wire) {
  return varint(static_cast<std::uint64_t>(field << 3 | wire));
}
std::string bytes_field(int field, const std::string& b) {
  return key(field, 2) + varint(b.size()) + b;
}
std::string fixed32(int field, float f) {
  std::string out = key(field, 5);
  char b[4];
  std::memcpy(b, &f, 4);
  return out + std::string(b, 4);
}
std::string fixed64(int field, double d) {
  std::string out = key(field, 1);
  char b[8];
  std::memcpy(b, &d, 8);
  return out + std::string(b, 8);
}

// Event{wall_time 1, step 2, summary 5 {value 1 {tag 1, ...}}}
std::string event(std::int64_t step, const std::string& value) {
  return fixed64(1, 1.7e9) + key(2, 0) + varint(static_cast<std::uint64_t>(step)) +
         bytes_field(5, bytes_field(1, value));
}
std::string simple_value(const std::string& tag, float v) {
  return bytes_field(1, tag) + fixed32(2, v);
}
// TF2: tensor 8 {dtype 1 = DT_FLOAT, tensor_shape 2 {}, float_val 5 packed}, metadata 9
// {plugin_data 1 {plugin_name 1 "scalars"}}
std::string tensor_float(const std::string& tag, float v) {
  char b[4];
  std::memcpy(b, &v, 4);
  return bytes_field(1, tag) + bytes_field(9, bytes_field(1, bytes_field(1, "scalars"))) +
         bytes_field(
             8, key(1, 0) + varint(1) + bytes_field(2, "") + bytes_field(5, std::string(b, 4)));
}
// A DT_DOUBLE tensor whose value is in tensor_content (4).
std::string tensor_double_content(const std::string& tag, double v) {
  char b[8];
  std::memcpy(b, &v, 8);
  return bytes_field(1, tag) +
         bytes_field(8, key(1, 0) + varint(2) + bytes_field(4, std::string(b, 8)));
}

std::string le(std::uint64_t v, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}
std::string record(const std::string& data) {
  std::string len = le(data.size(), 8);
  return len + le(tune::masked_crc32c(len.data(), 8), 4) + data +
         le(tune::masked_crc32c(data.data(), data.size()), 4);
}

std::string sample_file() {
  return record(fixed64(1, 1.7e9) + bytes_field(3, "brain.Event:2")) +
         record(event(1, simple_value("accuracy", 0.5f))) +
         record(event(2, tensor_float("accuracy", 0.75f))) +
         record(event(2, tensor_double_content("loss", 0.125)));
}

TEST(TfEvents, Crc32cIsCastagnolis) {
  EXPECT_EQ(tune::crc32c("123456789", 9), 0xE3069283u) << "the standard check value";
  EXPECT_EQ(tune::crc32c("", 0), 0u);
}

TEST(TfEvents, ReadsTf1AndTf2ScalarsFromTfRecords) {
  const std::string file = sample_file();
  std::uint64_t offset = 0;
  std::string problem;
  auto scalars = tune::read_tf_scalars(file, &offset, &problem);
  EXPECT_EQ(problem, "");
  EXPECT_EQ(offset, file.size());
  ASSERT_EQ(scalars.size(), 3u);
  EXPECT_EQ(scalars[0].tag, "accuracy");
  EXPECT_EQ(scalars[0].step, 1);
  EXPECT_DOUBLE_EQ(scalars[0].value, 0.5) << "simple_value";
  EXPECT_DOUBLE_EQ(scalars[1].value, 0.75) << "a TF2 float tensor";
  EXPECT_EQ(scalars[2].tag, "loss");
  EXPECT_DOUBLE_EQ(scalars[2].value, 0.125) << "a double tensor in tensor_content";
}

TEST(TfEvents, ARecordStillBeingWrittenWaitsForTheNextRead) {
  const std::string file = sample_file();
  for (size_t cut : {file.size() - 1, file.size() - 20, size_t{5}}) {
    std::uint64_t offset = 0;
    std::string problem;
    auto first = tune::read_tf_scalars(file.substr(0, cut), &offset, &problem);
    EXPECT_EQ(problem, "") << "a short tail is not damage (cut at " << cut << ")";
    auto rest = tune::read_tf_scalars(file, &offset, &problem);
    EXPECT_EQ(first.size() + rest.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(offset, file.size());
  }
}

TEST(TfEvents, ADamagedRecordIsReportedWithItsPlace) {
  std::string file = sample_file();
  const size_t second = record(fixed64(1, 1.7e9) + bytes_field(3, "brain.Event:2")).size();
  file[second + 14] ^= 0x40;  // a byte of the second record's data
  std::uint64_t offset = 0;
  std::string problem;
  auto scalars = tune::read_tf_scalars(file, &offset, &problem);
  EXPECT_TRUE(scalars.empty());
  EXPECT_NE(problem.find("at byte " + std::to_string(second)), std::string::npos) << problem;
  EXPECT_NE(problem.find("CRC-32C"), std::string::npos);
  offset = 0;
  problem.clear();
  tune::read_tf_scalars("name=value lines, not a TFRecord file", &offset, &problem);
  EXPECT_NE(problem.find("not a tfevents"), std::string::npos) << problem;
}

TEST(TfEvents, TagsMatchMetricsByKatibsRule) {
  EXPECT_TRUE(tune::tf_tag_matches("accuracy", "accuracy", "/t/logs"));
  EXPECT_TRUE(tune::tf_tag_matches("accuracy", "accuracy_1", "/t/logs")) << "a prefix, as Katib";
  EXPECT_FALSE(tune::tf_tag_matches("accuracy", "loss", "/t/logs"));
  EXPECT_TRUE(tune::tf_tag_matches("train/accuracy", "accuracy", "/t/logs/train"));
  EXPECT_FALSE(tune::tf_tag_matches("train/accuracy", "accuracy", "/t/logs/test"));
}

TEST(TfEvents, TheTailFollowsFilesUnderTrainAndTestAsTheyGrow) {
  const fs::path dir = fs::temp_directory_path() / ("tfevents-" + std::to_string(::getpid()));
  fs::create_directories(dir / "train");
  fs::create_directories(dir / "test");
  const std::string train = (dir / "train" / "events.out.tfevents.1.host").string();
  const std::string test = (dir / "test" / "events.out.tfevents.1.host").string();
  std::ofstream(train, std::ios::binary) << record(event(1, simple_value("accuracy", 0.6f)));
  std::ofstream(test, std::ios::binary) << record(event(1, simple_value("accuracy", 0.4f)));
  std::ofstream(dir / "notes.txt") << "not an event file";
  tune::TfEventsTail tail;
  auto s = tail.read(dir.string(), {"test/accuracy", "train/accuracy"});
  EXPECT_EQ(s["test/accuracy"], std::vector<double>({0.4f}));
  EXPECT_EQ(s["train/accuracy"], std::vector<double>({0.6f}));
  std::ofstream(test, std::ios::binary | std::ios::app)
      << record(event(2, simple_value("accuracy", 0.7f)));
  s = tail.read(dir.string(), {"test/accuracy"});
  EXPECT_EQ(s["test/accuracy"], std::vector<double>({0.4f, 0.7f}));
  EXPECT_EQ(tail.problem(), "");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace slipway
