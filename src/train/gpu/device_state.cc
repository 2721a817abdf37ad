#include "train/gpu/device_state.h"

#include <algorithm>

#include "kernels/cuda/cuda_check.h"

namespace slipway::train {

namespace cu = kernels::cuda;

DeviceState::DeviceState(std::vector<std::uint8_t> decay, size_t bucket_bytes, NcclComm* nccl,
                         cudaStream_t compute)
    : n_(decay.size()),
      nccl_(nccl),
      compute_(compute),
      params_(n_),
      grads_(n_),
      m_(n_),
      v_(n_),
      weights_(n_),
      decay_(decay) {
  SLIPWAY_CUDA_CHECK(cudaStreamCreateWithFlags(&comm_, cudaStreamNonBlocking));
  SLIPWAY_CUDA_CHECK(cudaEventCreateWithFlags(&grads_final_, cudaEventDisableTiming));
  SLIPWAY_CUDA_CHECK(cudaEventCreate(&backward_done_));
  SLIPWAY_CUDA_CHECK(cudaEventCreate(&reduced_));
  // From the end of the buffer backwards, as the CPU reducer: the last layers finish first.
  const size_t per = std::max<size_t>(1, bucket_bytes / sizeof(float));
  for (size_t hi = n_; hi > 0;) {
    size_t lo = hi > per ? hi - per : 0;
    buckets_.push_back({lo, hi});
    hi = lo;
  }
}

DeviceState::~DeviceState() {
  if (reduced_) cudaEventDestroy(reduced_);
  if (backward_done_) cudaEventDestroy(backward_done_);
  if (grads_final_) cudaEventDestroy(grads_final_);
  if (comm_) cudaStreamDestroy(comm_);
}

void DeviceState::load(const std::vector<float>& params, const std::vector<float>& m,
                       const std::vector<float>& v) {
  params_.upload(params);
  m_.upload(m);
  v_.upload(v);
  cu::to_bf16(params_.data(), weights_.data(), n_, compute_);
  SLIPWAY_CUDA_CHECK(cudaStreamSynchronize(compute_));
}

void DeviceState::save(std::vector<float>* params, std::vector<float>* m,
                       std::vector<float>* v) const {
  SLIPWAY_CUDA_CHECK(cudaStreamSynchronize(compute_));
  *params = params_.download();
  *m = m_.download();
  *v = v_.download();
}

void DeviceState::begin_step() {
  SLIPWAY_CUDA_CHECK(cudaMemsetAsync(grads_.data(), 0, n_ * sizeof(float), compute_));
  for (auto& b : buckets_) b.ready = 0;
  next_to_start_ = 0;
}

void DeviceState::start(Bucket& b) {
  if (!nccl_) return;
  // The all-reduce waits for everything enqueued on the compute stream so far, which includes the
  // kernels that finished this bucket's gradients.
  SLIPWAY_CUDA_CHECK(cudaEventRecord(grads_final_, compute_));
  SLIPWAY_CUDA_CHECK(cudaStreamWaitEvent(comm_, grads_final_, 0));
  nccl_->allreduce_sum(grads_.data() + b.lo, grads_.data() + b.lo, b.hi - b.lo, comm_);
}

void DeviceState::ready(size_t offset, size_t size) {
  const size_t end = offset + size;
  for (auto& b : buckets_) {
    size_t lo = std::max(b.lo, offset), hi = std::min(b.hi, end);
    if (lo < hi) b.ready += hi - lo;
  }
  while (next_to_start_ < buckets_.size() &&
         buckets_[next_to_start_].ready ==
             buckets_[next_to_start_].hi - buckets_[next_to_start_].lo)
    start(buckets_[next_to_start_++]);
}

void DeviceState::finish_step() {
  while (next_to_start_ < buckets_.size()) start(buckets_[next_to_start_++]);
  if (!nccl_) return;
  // Exposed communication: from the end of backward on the compute stream to the end of the last
  // all-reduce, when positive; read after the next synchronization.
  SLIPWAY_CUDA_CHECK(cudaEventRecord(backward_done_, compute_));
  SLIPWAY_CUDA_CHECK(cudaEventRecord(reduced_, comm_));
  SLIPWAY_CUDA_CHECK(cudaStreamWaitEvent(compute_, reduced_, 0));
  pending_exposed_ = true;
}

void DeviceState::collect_exposed() {
  if (!pending_exposed_) return;
  pending_exposed_ = false;
  float ms = 0;
  if (cudaEventElapsedTime(&ms, backward_done_, reduced_) == cudaSuccess && ms > 0)
    exposed_ += ms / 1000.0;
}

double DeviceState::grad_sum_squares() {
  double s = cu::sum_squares(grads_.data(), n_, compute_);  // synchronizes the compute stream
  collect_exposed();
  return s;
}

std::vector<std::pair<std::string, double>> DeviceState::device_metrics() const {
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) return {};
  return {{"gpu_memory_bytes", static_cast<double>(total_bytes - free_bytes)},
          {"gpu_total_bytes", static_cast<double>(total_bytes)}};
}

void DeviceState::scale_grads(float s) { cu::scale(grads_.data(), n_, s, compute_); }

void DeviceState::adamw(float lr, const TrainConfig& c, std::int64_t step) {
  cu::adamw(params_.data(), grads_.data(), m_.data(), v_.data(), weights_.data(), n_, lr,
            static_cast<float>(c.beta1), static_cast<float>(c.beta2), static_cast<float>(c.eps),
            static_cast<float>(c.weight_decay), step, decay_.data(), compute_);
}

}  // namespace slipway::train
