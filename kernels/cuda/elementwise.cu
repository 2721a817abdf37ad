// Elementwise kernels: conversions, residual adds, GELU, scaling, AdamW; and the device count.
#include <cmath>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_ops.h"

namespace slipway::kernels::cuda {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error for later calls
    return 0;
  }
  return n;
}

namespace {

constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2/pi)

#define SLIPWAY_GRID_STRIDE(i, n)                                                      \
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<size_t>(gridDim.x) * blockDim.x)

__global__ void to_bf16_kernel(const float* x, bf16* y, size_t n) {
  SLIPWAY_GRID_STRIDE(i, n) y[i] = bf(x[i]);
}

__global__ void to_float_kernel(const bf16* x, float* y, size_t n) {
  SLIPWAY_GRID_STRIDE(i, n) y[i] = f32(x[i]);
}

__global__ void add_kernel(const bf16* a, const bf16* b, bf16* y, size_t n) {
  SLIPWAY_GRID_STRIDE(i, n) y[i] = bf(f32(a[i]) + f32(b[i]));
}

__global__ void gelu_forward_kernel(const bf16* x, bf16* y, size_t n) {
  SLIPWAY_GRID_STRIDE(i, n) {
    float v = f32(x[i]);
    y[i] = bf(0.5f * v * (1.0f + tanhf(kGeluC * (v + 0.044715f * v * v * v))));
  }
}

__global__ void gelu_backward_kernel(const bf16* dy, const bf16* x, bf16* dx, size_t n) {
  SLIPWAY_GRID_STRIDE(i, n) {
    float v = f32(x[i]);
    float t = tanhf(kGeluC * (v + 0.044715f * v * v * v));
    float du = kGeluC * (1.0f + 3.0f * 0.044715f * v * v);
    dx[i] = bf(f32(dy[i]) * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du));
  }
}

__global__ void scale_kernel(float* x, size_t n, float s) { SLIPWAY_GRID_STRIDE(i, n) x[i] *= s; }

__global__ void adamw_kernel(float* p, const float* g, float* m, float* v, bf16* p_bf16, size_t n,
                             float lr, float beta1, float beta2, float eps, float weight_decay,
                             float c1, float c2, const std::uint8_t* decay_mask) {
  SLIPWAY_GRID_STRIDE(i, n) {
    float mi = beta1 * m[i] + (1.0f - beta1) * g[i];
    float vi = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
    m[i] = mi;
    v[i] = vi;
    float wd = decay_mask && !decay_mask[i] ? 0.0f : weight_decay;
    float pi = p[i] - lr * ((mi / c1) / (sqrtf(vi / c2) + eps) + wd * p[i]);
    p[i] = pi;
    if (p_bf16) p_bf16[i] = bf(pi);
  }
}

}  // namespace

void to_bf16(const float* x, bf16* y, size_t n, cudaStream_t stream) {
  to_bf16_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, y, n);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

void to_float(const bf16* x, float* y, size_t n, cudaStream_t stream) {
  to_float_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, y, n);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

void add(const bf16* a, const bf16* b, bf16* y, size_t n, cudaStream_t stream) {
  add_kernel<<<grid_for(n), kThreads, 0, stream>>>(a, b, y, n);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

void gelu_forward(const bf16* x, bf16* y, size_t n, cudaStream_t stream) {
  gelu_forward_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, y, n);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

void gelu_backward(const bf16* dy, const bf16* x, bf16* dx, size_t n, cudaStream_t stream) {
  gelu_backward_kernel<<<grid_for(n), kThreads, 0, stream>>>(dy, x, dx, n);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

void scale(float* x, size_t n, float s, cudaStream_t stream) {
  scale_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, n, s);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

void adamw(float* p, const float* g, float* m, float* v, bf16* p_bf16, size_t n, float lr,
           float beta1, float beta2, float eps, float weight_decay, std::int64_t step,
           const std::uint8_t* decay_mask, cudaStream_t stream) {
  // The bias corrections as the CPU path computes them (float pow), so both paths agree.
  const float c1 = 1.0f - std::pow(beta1, static_cast<float>(step));
  const float c2 = 1.0f - std::pow(beta2, static_cast<float>(step));
  adamw_kernel<<<grid_for(n), kThreads, 0, stream>>>(p, g, m, v, p_bf16, n, lr, beta1, beta2, eps,
                                                     weight_decay, c1, c2, decay_mask);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

}  // namespace slipway::kernels::cuda
