// NCCL for the GPU trainer: one communicator over all ranks, set up through MPI (rank 0's unique
// id broadcast to the others), on this rank's GPU.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstddef>
#include <memory>

#include "core/status.h"
#include "train/comm.h"

namespace slipway::train {

class NcclComm {
 public:
  // The GPU is the node-local rank (from MPI's shared-memory split) modulo the GPUs this process
  // sees: one GPU per rank where the launcher narrowed CUDA_VISIBLE_DEVICES, else spread over all.
  static Result<std::unique_ptr<NcclComm>> create(const Comm& mpi);
  ~NcclComm();
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  int device() const { return device_; }
  // recv = Σ over ranks of send, enqueued on `stream` (recv may equal send).
  void allreduce_sum(const float* send, float* recv, size_t count, cudaStream_t stream);

 private:
  NcclComm() = default;
  ncclComm_t comm_ = nullptr;
  int device_ = 0;
};

}  // namespace slipway::train
