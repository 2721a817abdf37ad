// Softmax and cross-entropy fused: one block per row reads the logits, writes the row's loss (fp32)
// and the logits' gradient, without materializing the probabilities.
#include <cmath>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_ops.h"

namespace slipway::kernels::cuda {
namespace {

__global__ void softmax_xent_kernel(const bf16* logits, const std::int32_t* labels, float* losses,
                                    bf16* dlogits, int classes, float grad_scale) {
  const size_t base = static_cast<size_t>(blockIdx.x) * classes;
  const bf16* l = logits + base;
  float mx = -INFINITY;
  for (int i = threadIdx.x; i < classes; i += blockDim.x) mx = fmaxf(mx, f32(l[i]));
  mx = block_max(mx);
  float s = 0;
  for (int i = threadIdx.x; i < classes; i += blockDim.x) s += expf(f32(l[i]) - mx);
  s = block_sum(s);
  const int label = labels[blockIdx.x];
  if (threadIdx.x == 0)
    losses[blockIdx.x] = label >= 0 && label < classes ? mx + logf(s) - f32(l[label])
                                                       : NAN;  // NaN: a label the model cannot emit
  if (!dlogits) return;
  const float inv = 1.0f / s;
  for (int i = threadIdx.x; i < classes; i += blockDim.x) {
    float p = expf(f32(l[i]) - mx) * inv;
    dlogits[base + i] = bf((p - (i == label ? 1.0f : 0.0f)) * grad_scale);
  }
}

}  // namespace

void softmax_xent(const bf16* logits, const std::int32_t* labels, float* losses, bf16* dlogits,
                  int rows, int classes, float grad_scale, cudaStream_t stream) {
  if (rows == 0) return;
  softmax_xent_kernel<<<static_cast<unsigned>(rows), 512, 0, stream>>>(
      logits, labels, losses, dlogits, classes, grad_scale);
  SLIPWAY_CUDA_CHECK_LAUNCH();
}

}  // namespace slipway::kernels::cuda
