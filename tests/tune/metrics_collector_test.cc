// Reading what trials report: Katib's name=value lines, JSON lines, the strategies that pick a
// value, and following a log as it grows.
#include "tune/metrics_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace slipway {
namespace {

const std::string kKatibRegex = R"(([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?))";

TEST(MetricsCollector, ReadsKatibsNameValueLines) {
  tune::MetricSeries m = tune::parse_metrics_text(
      "epoch 1: loss=0.9 accuracy = 0.51\nlr=1e-3 note=fast\nloss=0.7\n", {kKatibRegex});
  EXPECT_EQ(m["loss"], (std::vector<double>{0.9, 0.7}))
      << "a metric's values in report order: its learning curve";
  EXPECT_EQ(m["accuracy"], (std::vector<double>{0.51}));
  EXPECT_EQ(m["lr"], (std::vector<double>{1e-3}));
  EXPECT_FALSE(m.contains("note")) << "a value that is not a number is skipped";
}

// Katib's collectors use Go's regexp, where a brace that starts no repetition is literal. Its own
// file-collector example (corpora/katib, metrics-collector/file-metrics-collector.yaml) is such
// a regex; it reads here what it reads in Katib.
TEST(MetricsCollector, ReadsGoRegexpsWithLiteralBraces) {
  const std::string katib_file_regex = R"({metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)})";
  ASSERT_TRUE(tune::check_metrics_regex(katib_file_regex).ok())
      << tune::check_metrics_regex(katib_file_regex).message();
  tune::MetricSeries m = tune::parse_metrics_text(
      "{metricName: accuracy, metricValue: 0.8}\n{metricName: loss, metricValue: -1.25}\n",
      {katib_file_regex});
  EXPECT_EQ(m["accuracy"], (std::vector<double>{0.8}));
  EXPECT_EQ(m["loss"], (std::vector<double>{-1.25}));
  // Repetitions stay repetitions, and a ']' first in a class is a literal as in RE2.
  m = tune::parse_metrics_text("ab=12 x]=3\n", {R"(([a-z]{2})=(\d{1,3}))", R"(([]x]+)=(\d))"});
  EXPECT_EQ(m["ab"], (std::vector<double>{12}));
  EXPECT_EQ(m["x]"], (std::vector<double>{3}));
  EXPECT_FALSE(tune::check_metrics_regex("([a-z").ok());
  EXPECT_FALSE(tune::check_metrics_regex("loss=([0-9.]+)").ok()) << "one group: no name";
}

// A trial that prints a 1 MB word (std::regex recursed per character of it and overflowed the
// stack) still has its metric lines read.
TEST(MetricsCollector, SkipsLinesTooLongToBeMetrics) {
  const std::string text = std::string(1'000'000, 'a') + "=1\nloss=0.5\n";
  tune::MetricSeries m = tune::parse_metrics_text(text, {kKatibRegex});
  EXPECT_EQ(m["loss"], (std::vector<double>{0.5}));
  EXPECT_EQ(m.size(), 1u);
}

TEST(MetricsCollector, ReadsJsonLinesAndPicksByStrategy) {
  tune::MetricSeries m = tune::parse_metrics_json_lines(
      "{\"loss\": 0.5, \"step\": 1}\nnot json\n{\"loss\": \"0.25\"}\n{\"loss\": 0.4}\n");
  EXPECT_EQ(m["loss"], (std::vector<double>{0.5, 0.25, 0.4}));
  EXPECT_EQ(*tune::pick(m["loss"], "min"), 0.25);
  EXPECT_EQ(*tune::pick(m["loss"], "max"), 0.5);
  EXPECT_EQ(*tune::pick(m["loss"], "latest"), 0.4);
  EXPECT_FALSE(tune::pick({}, "min").has_value());
}

TEST(MetricsCollector, FollowsAGrowingLogFromWhereItLeftOff) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("slipway-tail-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string log = (dir / "trial.log").string();
  tune::MetricsCollector c;
  c.regexes = {kKatibRegex};
  auto append = [&](const std::string& text) { std::ofstream(log, std::ios::app) << text; };
  tune::MetricsTail tail;
  EXPECT_TRUE(tail.read(log, c).empty()) << "no log yet";
  append("loss=0.9\nloss=0.8\nlo");
  EXPECT_EQ(tail.read(log, c)["loss"], (std::vector<double>{0.9, 0.8}))
      << "'lo' is a line still being written";
  append("ss=0.7");
  EXPECT_EQ(tail.read(log, c)["loss"], (std::vector<double>{0.9, 0.8, 0.7}))
      << "an unfinished last line counts with what it holds";
  append("5\nloss=0.6\n");
  EXPECT_EQ(tail.read(log, c)["loss"], (std::vector<double>{0.9, 0.8, 0.75, 0.6}))
      << "and is read again whole once finished";
  std::ofstream(log, std::ios::trunc) << "loss=0.3\n";
  EXPECT_EQ(tail.read(log, c)["loss"], (std::vector<double>{0.3}))
      << "a file that shrank is read from its start";
  const std::string retry = (dir / "retry.log").string();
  std::ofstream(retry) << "loss=0.2\n";
  EXPECT_EQ(tail.read(retry, c)["loss"], (std::vector<double>{0.2}))
      << "another attempt's log replaces the first";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace slipway
