// Device helpers shared by the kernels: grid sizing and warp reductions (fixed shuffle order, so
// a reduction gives the same bits every time).
#pragma once

#include <cuda_bf16.h>

#include <cstddef>

namespace slipway::kernels::cuda {

constexpr int kThreads = 256;

inline unsigned grid_for(size_t n, int threads = kThreads) {
  size_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 65535u * 32 ? (blocks > 0 ? blocks : 1) : 65535u * 32);
}

__device__ inline float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ inline float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__device__ inline double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sum over a block of up to 1024 threads; every thread gets the result.
template <typename T>
__device__ inline T block_sum(T v) {
  __shared__ T partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = (blockDim.x + 31) / 32;
  v = warp_sum(v);
  __syncthreads();  // partial may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < warps ? partial[lane] : T(0);
  return warp_sum(v);
}

__device__ inline float block_max(float v) {
  __shared__ float partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = (blockDim.x + 31) / 32;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < warps ? partial[lane] : -INFINITY;
  return warp_max(v);
}

// Column sums of a [rows][cols] quantity given by value(r, c), accumulated (+=) into out[c]: blocks
// of 32 columns × kColumnLanes row lanes, each lane summing every kColumnLanes-th row, then the
// lanes summed in lane order. Coalesced reads, no atomics, a fixed order.
constexpr int kColumnLanes = 8;

template <typename Value>
__global__ void column_sums(int rows, int cols, float* out, Value value) {
  __shared__ float partial[kColumnLanes][32];
  const int c = blockIdx.x * 32 + threadIdx.x;
  float s = 0;
  if (c < cols)
    for (int r = threadIdx.y; r < rows; r += kColumnLanes) s += value(r, c);
  partial[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float total = 0;
    for (int l = 0; l < kColumnLanes; ++l) total += partial[l][threadIdx.x];
    out[c] += total;
  }
}

inline dim3 column_sums_grid(int cols) { return dim3(static_cast<unsigned>((cols + 31) / 32)); }
inline dim3 column_sums_block() { return dim3(32, kColumnLanes); }

__device__ inline float f32(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ inline __nv_bfloat16 bf(float x) { return __float2bfloat16_rn(x); }

}  // namespace slipway::kernels::cuda
