// Causal multi-head attention: q, k, v gathered out of the fused qkv activation into
// [B][heads][T][hs], S = QKᵀ/√hs as batched cuBLAS products into fp32, a causal softmax kernel
// writing the saved probabilities in bf16, O = PV, and the heads merged back. The backward pass
// mirrors it.
#include <cmath>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_ops.h"

namespace slipway::kernels::cuda {
namespace {

// Between a [B][T][row_stride] activation, whose columns [offset, offset + H·hs) hold the heads
// side by side, and a [B][H][T][hs] copy: to_heads gathers, from_heads scatters back.
__device__ inline size_t row_major_index(size_t i, int T, int H, int hs, int row_stride,
                                         int offset) {
  const int d = static_cast<int>(i % hs);
  const int t = static_cast<int>((i / hs) % T);
  const int h = static_cast<int>((i / (static_cast<size_t>(hs) * T)) % H);
  const size_t b = i / (static_cast<size_t>(hs) * T * H);
  return (b * T + t) * row_stride + offset + static_cast<size_t>(h) * hs + d;
}

__global__ void to_heads_kernel(const bf16* x, bf16* y, int B, int T, int H, int hs, int row_stride,
                                int offset) {
  const size_t n = static_cast<size_t>(B) * H * T * hs;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    y[i] = x[row_major_index(i, T, H, hs, row_stride, offset)];
}

__global__ void from_heads_kernel(const bf16* x, bf16* y, int B, int T, int H, int hs,
                                  int row_stride, int offset) {
  const size_t n = static_cast<size_t>(B) * H * T * hs;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    y[row_major_index(i, T, H, hs, row_stride, offset)] = x[i];
}

// One warp per row t of a [T][T] score matrix: softmax over [0, t] in fp32, exact zeros after.
__global__ void causal_softmax_kernel(const float* scores, bf16* att, size_t rows, int T) {
  const size_t row = blockIdx.x * static_cast<size_t>(blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const int t = static_cast<int>(row % T);
  const float* s = scores + row * T;
  bf16* a = att + row * T;
  float mx = -INFINITY;
  for (int j = lane; j <= t; j += 32) mx = fmaxf(mx, s[j]);
  mx = warp_max(mx);
  float sum = 0;
  for (int j = lane; j <= t; j += 32) sum += expf(s[j] - mx);
  const float inv = 1.0f / warp_sum(sum);
  for (int j = lane; j < T; j += 32) a[j] = bf(j <= t ? expf(s[j] - mx) * inv : 0.0f);
}

// dS = P ∘ (dP − Σ_j P∘dP) · scale over [0, t]; zeros after.
__global__ void causal_softmax_backward_kernel(const bf16* att, const float* dp, bf16* ds,
                                               size_t rows, int T, float scale) {
  const size_t row = blockIdx.x * static_cast<size_t>(blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const int t = static_cast<int>(row % T);
  const bf16* p = att + row * T;
  const float* d = dp + row * T;
  float dot = 0;
  for (int j = lane; j <= t; j += 32) dot += f32(p[j]) * d[j];
  dot = warp_sum(dot);
  for (int j = lane; j < T; j += 32)
    ds[row * T + j] = bf(j <= t ? f32(p[j]) * (d[j] - dot) * scale : 0.0f);
}

constexpr int kWarpsPerBlock = 8;

unsigned row_blocks(size_t rows) {
  return static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
}

void to_heads(const bf16* x, bf16* y, int B, int T, int H, int hs, int row_stride, int offset,
              cudaStream_t stream) {
  to_heads_kernel<<<grid_for(static_cast<size_t>(B) * T * H * hs), kThreads, 0, stream>>>(
      x, y, B, T, H, hs, row_stride, offset);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

void from_heads(const bf16* x, bf16* y, int B, int T, int H, int hs, int row_stride, int offset,
                cudaStream_t stream) {
  from_heads_kernel<<<grid_for(static_cast<size_t>(B) * T * H * hs), kThreads, 0, stream>>>(
      x, y, B, T, H, hs, row_stride, offset);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

}  // namespace

void Blas::attention_forward(const bf16* qkv, bf16* out, bf16* att, int B, int T, int C,
                             int heads) {
  const int hs = C / heads;
  const size_t n = static_cast<size_t>(B) * T * C, rows = static_cast<size_t>(B) * heads * T;
  const long long tt = static_cast<long long>(T) * T, ths = static_cast<long long>(T) * hs;
  q_.resize(n), k_.resize(n), v_.resize(n), o_.resize(n), scores_.resize(rows * T);
  to_heads(qkv, q_.data(), B, T, heads, hs, 3 * C, 0, stream_);
  to_heads(qkv, k_.data(), B, T, heads, hs, 3 * C, C, stream_);
  to_heads(qkv, v_.data(), B, T, heads, hs, 3 * C, 2 * C, stream_);
  // S = Q·Kᵀ/√hs for every (batch, head), in fp32 so the softmax sees unrounded scores.
  batched_gemm(false, true, T, T, hs, 1.0f / std::sqrt(static_cast<float>(hs)), q_.data(), hs, ths,
               k_.data(), hs, ths, 0.0f, scores_.data(), true, T, tt, B * heads);
  causal_softmax_kernel<<<row_blocks(rows), kWarpsPerBlock * 32, 0, stream_>>>(scores_.data(), att,
                                                                               rows, T);
  SLIPWAY_CUDA_CHECK_LAUNCH();
  // O = P·V
  batched_gemm(false, false, T, hs, T, 1.0f, att, T, tt, v_.data(), hs, ths, 0.0f, o_.data(), false,
               hs, ths, B * heads);
  from_heads(o_.data(), out, B, T, heads, hs, C, 0, stream_);
}

void Blas::attention_backward(const bf16* dout, const bf16* qkv, const bf16* att, bf16* dqkv, int B,
                              int T, int C, int heads) {
  const int hs = C / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const size_t n = static_cast<size_t>(B) * T * C, rows = static_cast<size_t>(B) * heads * T;
  const long long tt = static_cast<long long>(T) * T, ths = static_cast<long long>(T) * hs;
  q_.resize(n), k_.resize(n), v_.resize(n), o_.resize(n), dq_.resize(n), dk_.resize(n),
      dv_.resize(n);
  scores_.resize(rows * T), dscores_.resize(rows * T);
  to_heads(qkv, q_.data(), B, T, heads, hs, 3 * C, 0, stream_);
  to_heads(qkv, k_.data(), B, T, heads, hs, 3 * C, C, stream_);
  to_heads(qkv, v_.data(), B, T, heads, hs, 3 * C, 2 * C, stream_);
  bf16* dO = o_.data();
  to_heads(dout, dO, B, T, heads, hs, C, 0, stream_);
  // dP = dO·Vᵀ (fp32); dV = Pᵀ·dO
  batched_gemm(false, true, T, T, hs, 1.0f, dO, hs, ths, v_.data(), hs, ths, 0.0f, scores_.data(),
               true, T, tt, B * heads);
  batched_gemm(true, false, T, hs, T, 1.0f, att, T, tt, dO, hs, ths, 0.0f, dv_.data(), false, hs,
               ths, B * heads);
  causal_softmax_backward_kernel<<<row_blocks(rows), kWarpsPerBlock * 32, 0, stream_>>>(
      att, scores_.data(), dscores_.data(), rows, T, scale);
  SLIPWAY_CUDA_CHECK_LAUNCH();
  // dQ = dS·K; dK = dSᵀ·Q
  batched_gemm(false, false, T, hs, T, 1.0f, dscores_.data(), T, tt, k_.data(), hs, ths, 0.0f,
               dq_.data(), false, hs, ths, B * heads);
  batched_gemm(true, false, T, hs, T, 1.0f, dscores_.data(), T, tt, q_.data(), hs, ths, 0.0f,
               dk_.data(), false, hs, ths, B * heads);
  from_heads(dq_.data(), dqkv, B, T, heads, hs, 3 * C, 0, stream_);
  from_heads(dk_.data(), dqkv, B, T, heads, hs, 3 * C, C, stream_);
  from_heads(dv_.data(), dqkv, B, T, heads, hs, 3 * C, 2 * C, stream_);
}

}  // namespace slipway::kernels::cuda
