#include "train/gpu/nccl_comm.h"

#include <mpi.h>

#include <string>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_ops.h"
#include "train/allreduce_bench.h"

#define SLIPWAY_NCCL_CHECK(call)                                                                   \
  do {                                                                                             \
    ncclResult_t slipway_nr_ = (call);                                                             \
    if (slipway_nr_ != ncclSuccess)                                                                \
      ::slipway::kernels::cuda::throw_cuda_error(#call, ncclGetErrorString(slipway_nr_), __FILE__, \
                                                 __LINE__);                                        \
  } while (0)

namespace slipway::train {

Result<std::unique_ptr<NcclComm>> NcclComm::create(const Comm& mpi) {
  const int gpus = kernels::cuda::device_count();
  if (gpus == 0)
    return Failed("rank " + std::to_string(mpi.rank()) +
                  " sees no CUDA device (no driver, no GPU, or CUDA_VISIBLE_DEVICES empty)");
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, mpi.rank(), MPI_INFO_NULL, &local);
  int local_rank = 0;
  MPI_Comm_rank(local, &local_rank);
  MPI_Comm_free(&local);
  std::unique_ptr<NcclComm> c(new NcclComm());
  c->device_ = local_rank % gpus;
  try {
    SLIPWAY_CUDA_CHECK(cudaSetDevice(c->device_));
    ncclUniqueId id;
    if (mpi.rank() == 0) SLIPWAY_NCCL_CHECK(ncclGetUniqueId(&id));
    MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
    SLIPWAY_NCCL_CHECK(ncclCommInitRank(&c->comm_, mpi.world(), id, mpi.rank()));
  } catch (const kernels::cuda::CudaError& e) {
    return Failed(std::string("setting up NCCL: ") + e.what());
  }
  return c;
}

NcclComm::~NcclComm() {
  if (comm_) ncclCommDestroy(comm_);
}

void NcclComm::allreduce_sum(const float* send, float* recv, size_t count, cudaStream_t stream) {
  SLIPWAY_NCCL_CHECK(ncclAllReduce(send, recv, count, ncclFloat, ncclSum, comm_, stream));
}

namespace {

class NcclBackend : public AllreduceBackend {
 public:
  explicit NcclBackend(std::unique_ptr<NcclComm> comm) : comm_(std::move(comm)) {
    SLIPWAY_CUDA_CHECK(cudaStreamCreate(&stream_));
  }
  ~NcclBackend() override { cudaStreamDestroy(stream_); }
  std::string name() const override { return "nccl"; }
  float* allocate(size_t count) override {
    float* p = nullptr;
    SLIPWAY_CUDA_CHECK(
        cudaMalloc(reinterpret_cast<void**>(&p), std::max<size_t>(count, 1) * sizeof(float)));
    return p;
  }
  void release(float* p) override { cudaFree(p); }
  void upload(float* dst, const std::vector<float>& src) override {
    SLIPWAY_CUDA_CHECK(
        cudaMemcpy(dst, src.data(), src.size() * sizeof(float), cudaMemcpyHostToDevice));
  }
  std::vector<float> download(const float* src, size_t count) override {
    std::vector<float> out(count);
    SLIPWAY_CUDA_CHECK(cudaMemcpy(out.data(), src, count * sizeof(float), cudaMemcpyDeviceToHost));
    return out;
  }
  void allreduce(const float* send, float* recv, size_t count) override {
    comm_->allreduce_sum(send, recv, count, stream_);
  }
  void synchronize() override { SLIPWAY_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  std::unique_ptr<NcclComm> comm_;
  cudaStream_t stream_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<AllreduceBackend>> nccl_allreduce_backend(const Comm& comm) {
  auto c = NcclComm::create(comm);
  if (!c.ok()) return c.status();
  return std::unique_ptr<AllreduceBackend>(new NcclBackend(std::move(*c)));
}

}  // namespace slipway::train
