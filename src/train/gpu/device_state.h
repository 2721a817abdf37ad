// The GPU trainer's state: fp32 master parameters, their bf16 working copy (what the model
// reads), fp32 gradients and AdamW moments, all in GPU memory; gradients summed over ranks by NCCL
// in buckets on a stream of their own, each started as soon as backward has finished it (an event
// on the compute stream), so communication overlaps the rest of backward.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/gpu_ops.h"
#include "train/gpu/nccl_comm.h"
#include "train/train_config.h"

namespace slipway::train {

class DeviceState {
 public:
  // nccl may be null on a single rank.
  DeviceState(std::vector<std::uint8_t> decay, size_t bucket_bytes, NcclComm* nccl,
              cudaStream_t compute);
  ~DeviceState();
  DeviceState(const DeviceState&) = delete;
  DeviceState& operator=(const DeviceState&) = delete;

  void load(const std::vector<float>& params, const std::vector<float>& m,
            const std::vector<float>& v);
  void save(std::vector<float>* params, std::vector<float>* m, std::vector<float>* v) const;
  const kernels::cuda::bf16* weights() const { return weights_.data(); }
  float* grads() { return grads_.data(); }
  void begin_step();
  void ready(size_t offset, size_t size);
  void finish_step();
  double grad_sum_squares();
  void scale_grads(float s);
  void adamw(float lr, const TrainConfig& c, std::int64_t step);
  double exposed_seconds() const { return exposed_; }
  // GPU memory in use on this rank's device (the trainer's buffers only grow, so after a step this
  // is its peak), for the benchmark's comparison with PyTorch.
  std::vector<std::pair<std::string, double>> device_metrics() const;

 private:
  struct Bucket {
    size_t lo, hi, ready = 0;
  };
  void start(Bucket& b);
  void collect_exposed();

  size_t n_;
  NcclComm* nccl_;
  cudaStream_t compute_, comm_ = nullptr;
  cudaEvent_t grads_final_ = nullptr, backward_done_ = nullptr, reduced_ = nullptr;
  kernels::cuda::DeviceBuffer<float> params_, grads_, m_, v_;
  kernels::cuda::DeviceBuffer<kernels::cuda::bf16> weights_;
  kernels::cuda::DeviceBuffer<std::uint8_t> decay_;
  std::vector<Bucket> buckets_;
  size_t next_to_start_ = 0;
  bool pending_exposed_ = false;
  double exposed_ = 0;
};

}  // namespace slipway::train
