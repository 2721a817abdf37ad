#include "train/allreduce_bench.h"

#include <mpi.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/json.h"
#include "core/status.h"

namespace slipway::train {

namespace {

class MpiBackend : public AllreduceBackend {
 public:
  std::string name() const override { return "mpi"; }
  float* allocate(size_t count) override { return new float[std::max<size_t>(count, 1)]; }
  void release(float* p) override { delete[] p; }
  void upload(float* dst, const std::vector<float>& src) override {
    std::memcpy(dst, src.data(), src.size() * sizeof(float));
  }
  std::vector<float> download(const float* src, size_t count) override {
    return std::vector<float>(src, src + count);
  }
  void allreduce(const float* send, float* recv, size_t count) override {
    MPI_Allreduce(send, recv, static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }
  void synchronize() override {}
};

// Small integers times (rank + 1): every partial sum is an integer below 2^24, exact in float
// whatever order the reduction adds in, so any difference is an error, not rounding.
float input_value(int rank, size_t i) {
  return static_cast<float>((rank + 1) * static_cast<int>(i % 7 + 1));
}

}  // namespace

std::unique_ptr<AllreduceBackend> mpi_allreduce_backend() { return std::make_unique<MpiBackend>(); }

std::vector<AllreduceRow> run_allreduce_bench(AllreduceBackend& backend, const Comm& comm,
                                              const AllreduceBenchOptions& opts) {
  const int p = comm.world(), rank = comm.rank();
  const double rank_sum = p * (p + 1) / 2.0;
  std::vector<AllreduceRow> rows;
  for (size_t bytes = std::max<size_t>(opts.min_bytes, sizeof(float)); bytes <= opts.max_bytes;
       bytes =
           std::max(bytes + sizeof(float), bytes * static_cast<size_t>(std::max(2, opts.factor)))) {
    AllreduceRow row;
    row.count = bytes / sizeof(float);
    row.bytes = row.count * sizeof(float);
    float* send = backend.allocate(row.count);
    float* recv = backend.allocate(row.count);
    std::vector<float> input(row.count);
    for (size_t i = 0; i < row.count; ++i) input[i] = input_value(rank, i);
    backend.upload(send, input);
    backend.allreduce(send, recv, row.count);
    backend.synchronize();
    std::uint64_t wrong = 0;
    auto out = backend.download(recv, row.count);
    for (size_t i = 0; i < row.count; ++i)
      if (out[i] != static_cast<float>(rank_sum * static_cast<double>(i % 7 + 1))) ++wrong;
    row.wrong = static_cast<std::uint64_t>(comm.sum(static_cast<double>(wrong)));
    for (int i = 0; i < opts.warmup; ++i) backend.allreduce(send, recv, row.count);
    backend.synchronize();
    comm.barrier();
    double t0 = MPI_Wtime();
    for (int i = 0; i < opts.iters; ++i) backend.allreduce(send, recv, row.count);
    backend.synchronize();
    row.seconds = comm.max((MPI_Wtime() - t0) / std::max(1, opts.iters));
    row.algbw = row.seconds > 0 ? static_cast<double>(row.bytes) / row.seconds : 0;
    row.busbw = row.algbw * (p > 1 ? 2.0 * (p - 1) / p : 1.0);
    backend.release(send);
    backend.release(recv);
    rows.push_back(row);
  }
  return rows;
}

Result<size_t> parse_byte_size(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  if (pos == 0)
    return InvalidInput("size '" + text + "' is not a number of bytes (examples: 8, 4K, 64M, 1G)");
  size_t value = std::stoull(text.substr(0, pos));
  std::string unit = text.substr(pos);
  size_t scale = unit.empty() || unit == "B" ? 1
                 : unit == "K"               ? 1024
                 : unit == "M"               ? 1024 * 1024
                 : unit == "G"               ? 1024ull * 1024 * 1024
                                             : 0;
  if (scale == 0)
    return InvalidInput("size '" + text + "' has an unknown unit '" + unit + "' (use K, M or G)");
  return value * scale;
}

std::string format_allreduce_table(const std::vector<AllreduceRow>& rows,
                                   const std::string& backend, int ranks) {
  std::string out =
      "# all-reduce (sum, float) over " + std::to_string(ranks) + " ranks with " + backend + "\n";
  char line[160];
  std::snprintf(line, sizeof line, "# %12s %12s %10s %9s %9s %7s\n", "size (B)", "count",
                "time (us)", "algbw GB/s", "busbw GB/s", "#wrong");
  out += line;
  double bus_sum = 0;
  std::uint64_t wrong = 0;
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "  %12zu %12zu %10.1f %9.2f %9.2f %7llu\n", r.bytes, r.count,
                  r.seconds * 1e6, r.algbw / 1e9, r.busbw / 1e9,
                  static_cast<unsigned long long>(r.wrong));
    out += line;
    bus_sum += r.busbw;
    wrong += r.wrong;
  }
  std::snprintf(line, sizeof line,
                "# out of bounds values: %llu %s\n# average bus bandwidth: %.3f GB/s\n",
                static_cast<unsigned long long>(wrong), wrong == 0 ? "OK" : "FAILED",
                rows.empty() ? 0.0 : bus_sum / static_cast<double>(rows.size()) / 1e9);
  out += line;
  return out;
}

std::string format_allreduce_json(const std::vector<AllreduceRow>& rows, const std::string& backend,
                                  int ranks) {
  Json doc = {{"backend", backend}, {"ranks", ranks}, {"rows", Json::array()}};
  for (const auto& r : rows)
    doc["rows"].push_back({{"bytes", r.bytes},
                           {"count", r.count},
                           {"seconds", r.seconds},
                           {"algbw_bytes_per_second", r.algbw},
                           {"busbw_bytes_per_second", r.busbw},
                           {"wrong", r.wrong}});
  return dump_json(doc, 2) + "\n";
}

}  // namespace slipway::train
