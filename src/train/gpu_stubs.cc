// The GPU entry points of a build without CUDA (no nvcc when it was configured): each says so and
// what to do, instead of failing to link or pretending.
#include "train/allreduce_bench.h"
#include "train/gpu_train.h"

namespace slipway::train {

namespace {
const char* kNoCuda =
    "this slipway was built without CUDA (no nvcc when it was configured); rebuild where the CUDA "
    "toolkit is installed "
    "(cmake -DSLIPWAY_CUDA=ON)";
}

bool gpu_build() { return false; }

Result<std::unique_ptr<AllreduceBackend>> nccl_allreduce_backend(const Comm&) {
  return Failed(std::string("NCCL: ") + kNoCuda + ", or use --backend mpi");
}

Result<TrainResult> train_text_gpu(const models::GptShape&, const std::vector<std::uint8_t>&,
                                   const std::vector<std::uint8_t>&, const TrainConfig& c,
                                   const TrainerOptions&, const Comm&, const std::string&) {
  return Failed(c.source_file + ": device: cuda, but " + kNoCuda + ", or set device: cpu");
}

}  // namespace slipway::train
