// LayerNorm: one warp per row, statistics in fp32; the weight and bias gradients as fixed-order
// column sums.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_ops.h"

namespace slipway::kernels::cuda {
namespace {

constexpr int kRowsPerBlock = 8;  // warps per block

__global__ void layernorm_forward_kernel(const bf16* x, const bf16* w, const bf16* b, bf16* y,
                                         float* mean, float* rstd, int rows, int C) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= rows) return;
  const bf16* xr = x + static_cast<size_t>(row) * C;
  float s = 0;
  for (int i = lane; i < C; i += 32) s += f32(xr[i]);
  const float m = warp_sum(s) / C;
  float v = 0;
  for (int i = lane; i < C; i += 32) {
    float d = f32(xr[i]) - m;
    v += d * d;
  }
  const float r = rsqrtf(warp_sum(v) / C + 1e-5f);
  bf16* yr = y + static_cast<size_t>(row) * C;
  for (int i = lane; i < C; i += 32) yr[i] = bf((f32(xr[i]) - m) * r * f32(w[i]) + f32(b[i]));
  if (lane == 0) {
    mean[row] = m;
    rstd[row] = r;
  }
}

__global__ void layernorm_dx_kernel(const bf16* dy, const bf16* x, const bf16* w, const float* mean,
                                    const float* rstd, bf16* dx, int rows, int C) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= rows) return;
  const size_t base = static_cast<size_t>(row) * C;
  const float m = mean[row], r = rstd[row];
  float dnorm_mean = 0, dnorm_norm_mean = 0;
  for (int i = lane; i < C; i += 32) {
    float norm = (f32(x[base + i]) - m) * r;
    float dnorm = f32(dy[base + i]) * f32(w[i]);
    dnorm_mean += dnorm;
    dnorm_norm_mean += dnorm * norm;
  }
  dnorm_mean = warp_sum(dnorm_mean) / C;
  dnorm_norm_mean = warp_sum(dnorm_norm_mean) / C;
  for (int i = lane; i < C; i += 32) {
    float norm = (f32(x[base + i]) - m) * r;
    dx[base + i] = bf((f32(dy[base + i]) * f32(w[i]) - dnorm_mean - norm * dnorm_norm_mean) * r);
  }
}

}  // namespace

void layernorm_forward(const bf16* x, const bf16* w, const bf16* b, bf16* y, float* mean,
                       float* rstd, int rows, int C, cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
  layernorm_forward_kernel<<<blocks, kRowsPerBlock * 32, 0, stream>>>(x, w, b, y, mean, rstd, rows,
                                                                      C);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

void layernorm_backward(const bf16* dy, const bf16* x, const bf16* w, const float* mean,
                        const float* rstd, bf16* dx, float* dw, float* db, int rows, int C,
                        cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
  layernorm_dx_kernel<<<blocks, kRowsPerBlock * 32, 0, stream>>>(dy, x, w, mean, rstd, dx, rows, C);
  SLIPWAY_CUDA_CHECK_LAUNCH();
  auto dw_value = [dy, x, mean, rstd, C] __device__(int r, int c) {
    const size_t i = static_cast<size_t>(r) * C + c;
    return f32(dy[i]) * (f32(x[i]) - mean[r]) * rstd[r];
  };
  column_sums<<<column_sums_grid(C), column_sums_block(), 0, stream>>>(rows, C, dw, dw_value);
  SLIPWAY_CUDA_CHECK_LAUNCH();
  bias_backward(dy, db, rows, C, stream);
}

}  // namespace slipway::kernels::cuda
