// device: cuda — the shared training loop (train_loop.h) over the GPU model and state.
#include "train/gpu_train.h"

#include <memory>

#include "kernels/cuda/cuda_check.h"
#include "train/gpu/device_state.h"
#include "train/gpu/gpt_cuda.h"
#include "train/gpu/nccl_comm.h"
#include "train/train_loop.h"

namespace slipway::train {

bool gpu_build() { return true; }

Result<TrainResult> train_text_gpu(const models::GptShape& shape,
                                   const std::vector<std::uint8_t>& train,
                                   const std::vector<std::uint8_t>& valid, const TrainConfig& c,
                                   const TrainerOptions& opts, const Comm& comm,
                                   const std::string& meta) {
  // One communicator for every world size: it also picks this rank's GPU.
  auto nccl = NcclComm::create(comm);
  if (!nccl.ok())
    return Failed(c.source_file + ": device: cuda, but " + nccl.status().message() +
                  "; run on a GPU node or set device: cpu");
  cudaStream_t stream = nullptr;
  try {
    // A blocking stream: the blocking host-to-device copies of a step's tokens (on the legacy
    // default stream) then wait for the previous step's kernels, whatever reads them.
    SLIPWAY_CUDA_CHECK(cudaStreamCreate(&stream));
    struct StreamGuard {
      cudaStream_t s;
      ~StreamGuard() { cudaStreamDestroy(s); }
    } guard{stream};
    GptCuda model(shape, stream);
    TextTask<GptCuda> task{model, train, valid, c.context, {}};
    SLIPWAY_RETURN_IF_ERROR(DistributedSampler::check(task.rows(), c.batch_size, comm.world()));
    DeviceState state(decay_mask(model), bucket_bytes(c), comm.world() > 1 ? nccl->get() : nullptr,
                      stream);
    return run_loop(model, task, state, c, opts, comm, meta);
  } catch (const kernels::cuda::CudaError& e) {
    return Failed(std::string("GPU error on rank ") + std::to_string(comm.rank()) + ": " +
                  e.what());
  } catch (const std::exception& e) {
    return Failed(std::string("GPU trainer on rank ") + std::to_string(comm.rank()) + ": " +
                  e.what());
  }
}

}  // namespace slipway::train
