// Katib's TensorFlowEvent metrics collector: scalars read from the tfevents files a trial writes
// (TensorFlow's tf.summary, TensorBoard's and PyTorch's SummaryWriter). A tfevents file is a
// TFRecord stream — each record a little-endian uint64 length, the masked CRC-32C of those 8
// bytes, the data, and the masked CRC-32C of the data — whose records are Event messages; a
// scalar is a Summary value's simple_value (TF1, PyTorch) or a rank-0 tensor (TF2).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tune/metrics_collector.h"

namespace slipway::tune {

// CRC-32C (Castagnoli), and TFRecord's mask of it.
std::uint32_t crc32c(const void* data, size_t n);
std::uint32_t masked_crc32c(const void* data, size_t n);

struct TfScalar {
  std::string tag;
  std::int64_t step = 0;
  double value = 0;
};

// The scalars of the complete records of `bytes` from `offset` on; `offset` moves past them. A
// record still being written (cut short at the end) is left for the next read. A record whose
// CRC does not match stops the read with `problem` set, saying where.
std::vector<TfScalar> read_tf_scalars(const std::string& bytes, std::uint64_t* offset,
                                      std::string* problem);

// Whether an event file's tag is Katib's metric `name`: the tag starts with the name's last
// path component, and when the name has a directory ("train/accuracy") the file's directory
// ends with it — Katib's rule for summaries written under train/ and test/.
bool tf_tag_matches(const std::string& metric, const std::string& tag, const std::string& file_dir);

// Follows the tfevents files (names containing ".tfevents.") under a trial's directory as they
// grow, each read parsing only the records appended since the last.
class TfEventsTail {
 public:
  // The series of each of `metrics`, in file-name then step order.
  MetricSeries read(const std::string& dir, const std::vector<std::string>& metrics);
  // What went wrong with a file (a bad CRC), once per file; "" when nothing did.
  std::string problem() const { return problem_; }

 private:
  struct File {
    std::uint64_t offset = 0;
    std::vector<TfScalar> scalars;  // every scalar read so far
    // Per metric asked for: its (step, value) points in step order, kept up to date as records
    // arrive, so a poll costs the new records only.
    std::map<std::string, std::vector<std::pair<std::int64_t, double>>> points;
    bool broken = false;
  };
  static void add_points(const std::string& metric, const std::string& dir,
                         const std::vector<TfScalar>& scalars,
                         std::vector<std::pair<std::int64_t, double>>* points);
  std::map<std::string, File> files_;  // by path
  std::string problem_;
};

}  // namespace slipway::tune
