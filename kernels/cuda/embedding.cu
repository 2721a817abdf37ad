// Token and position embeddings. The backward pass sums each token's rows in position order from
// groups built on the host, so it needs no atomics and gives the same bits every run.
#include <algorithm>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_ops.h"

namespace slipway::kernels::cuda {
namespace {

__global__ void embedding_forward_kernel(const std::int32_t* tokens, const bf16* wte,
                                         const bf16* wpe, bf16* out, int B, int T, int C) {
  const size_t n = static_cast<size_t>(B) * T * C;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t bt = i / C;
    const int c = static_cast<int>(i % C), t = static_cast<int>(bt % T);
    out[i] = bf(f32(wte[static_cast<size_t>(tokens[bt]) * C + c]) +
                f32(wpe[static_cast<size_t>(t) * C + c]));
  }
}

// One block per distinct token, threads across channels.
__global__ void token_grad_kernel(const bf16* dout, const std::int32_t* ids,
                                  const std::int32_t* offsets, const std::int32_t* positions,
                                  float* dwte, int C) {
  const int g = blockIdx.x;
  const size_t row = static_cast<size_t>(ids[g]) * C;
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    float s = 0;
    for (int k = offsets[g]; k < offsets[g + 1]; ++k)
      s += f32(dout[static_cast<size_t>(positions[k]) * C + c]);
    dwte[row + c] += s;
  }
}

}  // namespace

TokenGroups TokenGroups::of(const std::int32_t* tokens, size_t n, int vocab) {
  std::vector<std::int32_t> count(static_cast<size_t>(vocab) + 1, 0);
  for (size_t i = 0; i < n; ++i) ++count[static_cast<size_t>(tokens[i]) + 1];
  TokenGroups g;
  std::vector<std::int32_t> start(static_cast<size_t>(vocab) + 1, 0);
  for (int v = 0; v < vocab; ++v)
    start[static_cast<size_t>(v) + 1] =
        start[static_cast<size_t>(v)] + count[static_cast<size_t>(v) + 1];
  for (int v = 0; v < vocab; ++v)
    if (count[static_cast<size_t>(v) + 1] > 0) {
      g.ids.push_back(v);
      g.offsets.push_back(start[static_cast<size_t>(v)]);
    }
  g.offsets.push_back(static_cast<std::int32_t>(n));
  g.positions.resize(n);
  std::vector<std::int32_t> fill(start.begin(), start.end() - 1);
  for (size_t i = 0; i < n; ++i)
    g.positions[static_cast<size_t>(fill[static_cast<size_t>(tokens[i])]++)] =
        static_cast<std::int32_t>(i);
  return g;
}

void DeviceTokenGroups::upload(const TokenGroups& g) {
  ids.upload(g.ids);
  offsets.upload(g.offsets);
  positions.upload(g.positions);
}

void embedding_forward(const std::int32_t* tokens, const bf16* wte, const bf16* wpe, bf16* out,
                       int B, int T, int C, cudaStream_t stream) {
  embedding_forward_kernel<<<grid_for(static_cast<size_t>(B) * T * C), kThreads, 0, stream>>>(
      tokens, wte, wpe, out, B, T, C);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

void embedding_backward(const bf16* dout, const DeviceTokenGroups& groups, int num_ids, float* dwte,
                        float* dwpe, int B, int T, int C, cudaStream_t stream) {
  if (num_ids > 0) {
    token_grad_kernel<<<static_cast<unsigned>(num_ids), std::min(C, 256), 0, stream>>>(
        dout, groups.ids.data(), groups.offsets.data(), groups.positions.data(), dwte, C);
    SLIPWAY_CUDA_CHECK_LAUNCH();
  }
  // dwpe[t] += Σ_b dout[b][t]: column sums over B rows of a [B][T·C] matrix.
  const int cols = T * C;
  auto value = [dout, cols] __device__(int b, int c) {
    return f32(dout[static_cast<size_t>(b) * cols + c]);
  };
  column_sums<<<column_sums_grid(cols), column_sums_block(), 0, stream>>>(B, cols, dwpe, value);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

}  // namespace slipway::kernels::cuda
