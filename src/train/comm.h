// MPI for the trainer: the world, small reductions, and the bucketed gradient all-reduce that
// overlaps with the backward pass.
//
// Gradients live in one flat buffer. Buckets are contiguous ranges of it, formed from the last
// parameter backwards (the order backward finishes them), each about `bucket_bytes`. As soon as
// every parameter of a bucket is final, its non-blocking all-reduce starts (MPI_Iallreduce, in
// place), while backward carries on with earlier layers; finish() waits for the rest. Every rank
// starts the buckets in the same order, which MPI requires of non-blocking collectives.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <utility>
#include <vector>

namespace slipway::train {

class Comm {
 public:
  // Initializes MPI if needed (a singleton run without mpirun is a world of one).
  Comm(int* argc, char*** argv);
  ~Comm();
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int world() const { return world_; }
  double sum(double v) const;
  double max(double v) const;
  void barrier() const;
  void abort(int code) const;

 private:
  int rank_ = 0, world_ = 1;
  bool owns_ = false;
};

// α (seconds per message) and B (bytes per second) of MPI_Allreduce on this world, for the ring
// model t(S) = 2(p−1)·α + 2(p−1)/p · S/B: α from 8-byte reductions, B from 4 MiB ones (medians).
std::pair<double, double> measure_allreduce(const Comm& comm);

class GradientReducer {
 public:
  GradientReducer(const Comm& comm, float* grads, size_t n, size_t bucket_bytes);

  void begin_step();
  // [offset, offset + size) of the gradients is final for this step.
  void ready(size_t offset, size_t size);
  // Starts what is left, waits for every bucket: afterwards the buffer holds the sum over ranks.
  void finish();

  size_t buckets() const { return buckets_.size(); }
  double exposed_seconds() const { return exposed_; }  // time finish() waited, summed over steps

 private:
  struct Bucket {
    size_t lo, hi;
    size_t ready = 0;
    bool started = false;
    MPI_Request req = MPI_REQUEST_NULL;
  };
  void start(Bucket& b);
  const Comm& comm_;
  float* grads_;
  std::vector<Bucket> buckets_;
  size_t next_to_start_ = 0;  // buckets start strictly in order
  double exposed_ = 0;
};

}  // namespace slipway::train
