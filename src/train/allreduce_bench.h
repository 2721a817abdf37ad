// An all-reduce benchmark in the style of nccl-tests' all_reduce_perf: for each message size, the
// time of a float sum over all ranks, the algorithm bandwidth (bytes / time) and the bus bandwidth
// (algbw · 2(p−1)/p, what each link carries in a ring, comparable across rank counts), with the
// result checked against inputs whose sum is exact in float.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "train/comm.h"

namespace slipway::train {

// The collective under test. Buffers may live on the host (MPI) or a GPU (NCCL).
class AllreduceBackend {
 public:
  virtual ~AllreduceBackend() = default;
  virtual std::string name() const = 0;
  virtual float* allocate(size_t count) = 0;
  virtual void release(float* p) = 0;
  virtual void upload(float* dst, const std::vector<float>& src) = 0;
  virtual std::vector<float> download(const float* src, size_t count) = 0;
  // recv = Σ over ranks of send (may return before it is done: synchronize() waits).
  virtual void allreduce(const float* send, float* recv, size_t count) = 0;
  virtual void synchronize() = 0;
};

// MPI_Allreduce on host memory: the CPU trainer's path.
std::unique_ptr<AllreduceBackend> mpi_allreduce_backend();
// ncclAllReduce on this rank's GPU (a communicator set up over MPI): the GPU trainer's path. An
// error where the build has no CUDA or the machine no GPU.
Result<std::unique_ptr<AllreduceBackend>> nccl_allreduce_backend(const Comm& comm);

struct AllreduceBenchOptions {
  size_t min_bytes = 8, max_bytes = 64u << 20;
  int factor = 2;
  int warmup = 5, iters = 20;
};

struct AllreduceRow {
  size_t bytes = 0, count = 0;
  double seconds = 0;           // mean per all-reduce, slowest rank
  double algbw = 0, busbw = 0;  // bytes per second
  std::uint64_t wrong = 0;      // elements not equal to the exact sum, over all ranks
};

// Every rank calls it; every rank gets the same rows.
std::vector<AllreduceRow> run_allreduce_bench(AllreduceBackend& backend, const Comm& comm,
                                              const AllreduceBenchOptions& opts);

// "8", "4K", "64M", "1G" (powers of 1024).
Result<size_t> parse_byte_size(const std::string& text);

std::string format_allreduce_table(const std::vector<AllreduceRow>& rows,
                                   const std::string& backend, int ranks);
std::string format_allreduce_json(const std::vector<AllreduceRow>& rows, const std::string& backend,
                                  int ranks);

}  // namespace slipway::train
