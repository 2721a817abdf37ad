// The GPT of models/gpt.h on an NVIDIA GPU: the same parameters in the same order (so checkpoints
// move freely between CPU and GPU runs), the same forward and backward, with bf16 weights and
// activations, fp32 gradients and an fp32 loss, through the kernels of kernels/cuda. The
// interface matches Gpt's, with the parameters given as the bf16 working copy and the gradients
// as a GPU buffer.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/gpu_ops.h"
#include "models/gpt.h"
#include "models/ops.h"

namespace slipway::train {

class GptCuda {
 public:
  GptCuda(models::GptShape shape, cudaStream_t stream);

  size_t num_params() const { return layout_.num_params(); }
  const std::vector<models::ParamInfo>& params() const { return layout_.params(); }
  std::string signature() const { return layout_.signature(); }
  // The CPU model's initialization, bit for bit (on the host; the state uploads it).
  void init(float* host_params, std::uint64_t seed) const { layout_.init(host_params, seed); }

  // tokens (host): [B][Tn + 1]. Returns the sum of the B·Tn losses; g (GPU, fp32) += d(sum ·
  // grad_scale)/dp.
  float forward_backward(const std::int32_t* tokens, int B, int Tn, const kernels::cuda::bf16* p,
                         float* g, float grad_scale, const models::GradReady& on_ready = nullptr);
  float evaluate(const std::int32_t* tokens, int B, int Tn, const kernels::cuda::bf16* p);

 private:
  struct Layer {
    size_t ln1w, ln1b, qkvw, qkvb, projw, projb, ln2w, ln2b, fcw, fcb, fcpw, fcpb;
  };
  struct Acts {
    kernels::cuda::DeviceBuffer<kernels::cuda::bf16> ln1, qkv, att, atty, x2, ln2, fch, fchg;
    kernels::cuda::DeviceBuffer<float> ln1_mean, ln1_rstd, ln2_mean, ln2_rstd;
  };
  size_t offset_of(const std::string& name) const;
  void ready(const models::GradReady& cb, size_t offset) const;
  float forward(const std::int32_t* tokens, int B, int Tn, const kernels::cuda::bf16* p,
                bool keep_gradients, float grad_scale);

  models::GptShape s_;
  models::Gpt<float, models::RefOps>
      layout_;  // parameter names, offsets and initialization: one definition for both devices
  cudaStream_t stream_;
  kernels::cuda::Blas blas_;
  std::vector<Layer> layers_;
  size_t wte_, wpe_, lnfw_, lnfb_;
  std::vector<std::int32_t> inputs_, targets_;
  kernels::cuda::DeviceBuffer<std::int32_t> d_inputs_, d_targets_;
  kernels::cuda::DeviceTokenGroups groups_;
  int group_count_ = 0;
  std::vector<kernels::cuda::DeviceBuffer<kernels::cuda::bf16>> resid_;
  std::vector<Acts> acts_;
  kernels::cuda::DeviceBuffer<kernels::cuda::bf16> lnf_out_,
      logits_;  // logits_ becomes dlogits in place
  kernels::cuda::DeviceBuffer<float> lnf_mean_, lnf_rstd_, losses_;
  kernels::cuda::DeviceBuffer<kernels::cuda::bf16> dx_, dtmp_, dx2_, dln_, datty_, dqkv_, dfchg_,
      dfch_;
};

}  // namespace slipway::train
