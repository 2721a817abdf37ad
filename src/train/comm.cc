#include "train/comm.h"

#include <algorithm>
#include <vector>

namespace slipway::train {

Comm::Comm(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    owns_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &world_);
}

Comm::~Comm() {
  if (owns_) MPI_Finalize();
}

double Comm::sum(double v) const {
  double out = v;
  if (world_ > 1) MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

double Comm::max(double v) const {
  double out = v;
  if (world_ > 1) MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return out;
}

void Comm::barrier() const {
  if (world_ > 1) MPI_Barrier(MPI_COMM_WORLD);
}

void Comm::abort(int code) const { MPI_Abort(MPI_COMM_WORLD, code); }

std::pair<double, double> measure_allreduce(const Comm& comm) {
  const int p = comm.world();
  if (p < 2) return {0.0, 0.0};
  auto median_time = [&](size_t floats, int reps) {
    std::vector<float> buf(floats, 1.0f);
    std::vector<double> times;
    for (int i = 0; i < reps + 2; ++i) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(floats), MPI_FLOAT, MPI_SUM,
                    MPI_COMM_WORLD);
      double dt = MPI_Wtime() - t0;
      double slowest = dt;
      MPI_Allreduce(&dt, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      if (i >= 2) times.push_back(slowest);  // the first two warm the connections up
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
  };
  double small = median_time(2, 50);
  const size_t big_floats = 1u << 20;  // 4 MiB
  double big = median_time(big_floats, 10);
  double alpha = small / (2.0 * (p - 1));
  double transfer = std::max(1e-9, big - 2.0 * (p - 1) * alpha);
  double bandwidth = 2.0 * (p - 1) / p * static_cast<double>(big_floats * sizeof(float)) / transfer;
  return {alpha, bandwidth};
}

GradientReducer::GradientReducer(const Comm& comm, float* grads, size_t n, size_t bucket_bytes)
    : comm_(comm), grads_(grads) {
  size_t per = std::max<size_t>(1, bucket_bytes / sizeof(float));
  // From the end of the buffer backwards: the last layers' gradients are final first.
  size_t hi = n;
  while (hi > 0) {
    size_t lo = hi > per ? hi - per : 0;
    buckets_.push_back({lo, hi});
    hi = lo;
  }
}

void GradientReducer::begin_step() {
  for (auto& b : buckets_) {
    b.ready = 0;
    b.started = false;
    b.req = MPI_REQUEST_NULL;
  }
  next_to_start_ = 0;
}

void GradientReducer::start(Bucket& b) {
  b.started = true;
  if (comm_.world() > 1)
    MPI_Iallreduce(MPI_IN_PLACE, grads_ + b.lo, static_cast<int>(b.hi - b.lo), MPI_FLOAT, MPI_SUM,
                   MPI_COMM_WORLD, &b.req);
}

void GradientReducer::ready(size_t offset, size_t size) {
  size_t end = offset + size;
  for (auto& b : buckets_) {
    size_t lo = std::max(b.lo, offset), hi = std::min(b.hi, end);
    if (lo < hi) b.ready += hi - lo;
  }
  while (next_to_start_ < buckets_.size() &&
         buckets_[next_to_start_].ready ==
             buckets_[next_to_start_].hi - buckets_[next_to_start_].lo)
    start(buckets_[next_to_start_++]);
  if (comm_.world() > 1) {
    // Give MPI a chance to move started reductions along while backward goes on.
    int flag = 0;
    for (size_t i = 0; i < next_to_start_; ++i)
      if (buckets_[i].req != MPI_REQUEST_NULL) MPI_Test(&buckets_[i].req, &flag, MPI_STATUS_IGNORE);
  }
}

void GradientReducer::finish() {
  double t0 = MPI_Wtime();
  while (next_to_start_ < buckets_.size()) start(buckets_[next_to_start_++]);
  for (auto& b : buckets_)
    if (b.req != MPI_REQUEST_NULL) MPI_Wait(&b.req, MPI_STATUS_IGNORE);
  exposed_ += MPI_Wtime() - t0;
}

}  // namespace slipway::train
