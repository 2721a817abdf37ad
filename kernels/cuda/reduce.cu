// Reductions in a fixed order: whole-vector sums (the loss, the gradient norm) and a linear
// layer's bias gradient.
#include <vector>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_ops.h"

namespace slipway::kernels::cuda {
namespace {

// A fixed number of blocks, whatever the GPU: the partials, and so the bits of the result, are the
// same on every device.
constexpr int kReduceBlocks = 256;

template <bool kSquare>
__global__ void partial_sums(const float* x, size_t n, double* partial) {
  double s = 0;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    double v = x[i];
    s += kSquare ? v * v : v;
  }
  s = block_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

template <bool kSquare>
double reduce(const float* x, size_t n, cudaStream_t stream) {
  DeviceBuffer<double> partial(kReduceBlocks);
  partial_sums<kSquare><<<kReduceBlocks, kThreads, 0, stream>>>(x, n, partial.data());
  SLIPWAY_CUDA_CHECK_LAUNCH();
  std::vector<double> host(kReduceBlocks);
  SLIPWAY_CUDA_CHECK(cudaMemcpyAsync(host.data(), partial.data(), kReduceBlocks * sizeof(double),
                                     cudaMemcpyDeviceToHost, stream));
  SLIPWAY_CUDA_CHECK(cudaStreamSynchronize(stream));
  double total = 0;
  for (double v : host) total += v;
  return total;
}

}  // namespace

double sum(const float* x, size_t n, cudaStream_t stream) { return reduce<false>(x, n, stream); }

double sum_squares(const float* x, size_t n, cudaStream_t stream) {
  return reduce<true>(x, n, stream);
}

void bias_backward(const bf16* dy, float* db, int rows, int out, cudaStream_t stream) {
  auto value = [dy, out] __device__(int r, int c) {
    return f32(dy[static_cast<size_t>(r) * out + c]);
  };
  column_sums<<<column_sums_grid(out), column_sums_block(), 0, stream>>>(rows, out, db, value);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

}  // namespace slipway::kernels::cuda
