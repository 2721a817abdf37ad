#include "train/gpu/gpt_cuda.h"

#include <stdexcept>

#include "kernels/cuda/cuda_check.h"

namespace slipway::train {

namespace cu = kernels::cuda;
using cu::bf16;

GptCuda::GptCuda(models::GptShape shape, cudaStream_t stream)
    : s_(shape), layout_(shape), stream_(stream), blas_(stream) {
  wte_ = offset_of("wte");
  wpe_ = offset_of("wpe");
  for (int l = 0; l < s_.layers; ++l) {
    const std::string p = "h" + std::to_string(l) + ".";
    layers_.push_back({offset_of(p + "ln1.weight"), offset_of(p + "ln1.bias"),
                       offset_of(p + "attn.qkv.weight"), offset_of(p + "attn.qkv.bias"),
                       offset_of(p + "attn.proj.weight"), offset_of(p + "attn.proj.bias"),
                       offset_of(p + "ln2.weight"), offset_of(p + "ln2.bias"),
                       offset_of(p + "mlp.fc.weight"), offset_of(p + "mlp.fc.bias"),
                       offset_of(p + "mlp.proj.weight"), offset_of(p + "mlp.proj.bias")});
  }
  lnfw_ = offset_of("lnf.weight");
  lnfb_ = offset_of("lnf.bias");
}

size_t GptCuda::offset_of(const std::string& name) const {
  for (const auto& p : layout_.params())
    if (p.name == name) return p.offset;
  throw std::logic_error("GPT layout has no parameter " + name);
}

// Parameters are reported final by offset; the callback wants (offset, size).
void GptCuda::ready(const models::GradReady& cb, size_t offset) const {
  if (!cb) return;
  for (const auto& p : layout_.params())
    if (p.offset == offset) return cb(p.offset, p.size);
}

float GptCuda::forward(const std::int32_t* tokens, int B, int Tn, const bf16* p,
                       bool keep_gradients, float grad_scale) {
  const int C = s_.width, V = s_.vocab, N = B * Tn;
  const size_t NC = static_cast<size_t>(N) * C;
  models::split_windows(tokens, B, Tn, &inputs_, &targets_);
  for (auto tok : inputs_)
    if (tok < 0 || tok >= V)
      throw std::invalid_argument("token " + std::to_string(tok) + " outside the vocabulary of " +
                                  std::to_string(V));
  d_inputs_.upload(inputs_);
  d_targets_.upload(targets_);
  if (keep_gradients) {
    auto groups = cu::TokenGroups::of(inputs_.data(), inputs_.size(), V);
    groups_.upload(groups);
    group_count_ = static_cast<int>(groups.ids.size());
  }
  resid_.resize(static_cast<size_t>(s_.layers) + 1);
  for (auto& r : resid_) r.resize(NC);
  acts_.resize(static_cast<size_t>(s_.layers));
  cu::embedding_forward(d_inputs_.data(), p + wte_, p + wpe_, resid_[0].data(), B, Tn, C, stream_);
  for (int l = 0; l < s_.layers; ++l) {
    const Layer& L = layers_[static_cast<size_t>(l)];
    Acts& a = acts_[static_cast<size_t>(l)];
    const bf16* x = resid_[static_cast<size_t>(l)].data();
    a.ln1.resize(NC), a.qkv.resize(NC * 3),
        a.att.resize(static_cast<size_t>(B) * s_.heads * Tn * Tn), a.atty.resize(NC),
        a.x2.resize(NC);
    a.ln2.resize(NC), a.fch.resize(NC * 4), a.fchg.resize(NC * 4);
    a.ln1_mean.resize(static_cast<size_t>(N)), a.ln1_rstd.resize(static_cast<size_t>(N));
    a.ln2_mean.resize(static_cast<size_t>(N)), a.ln2_rstd.resize(static_cast<size_t>(N));
    cu::layernorm_forward(x, p + L.ln1w, p + L.ln1b, a.ln1.data(), a.ln1_mean.data(),
                          a.ln1_rstd.data(), N, C, stream_);
    blas_.linear_forward(a.ln1.data(), p + L.qkvw, p + L.qkvb, a.qkv.data(), N, C, 3 * C);
    blas_.attention_forward(a.qkv.data(), a.atty.data(), a.att.data(), B, Tn, C, s_.heads);
    blas_.linear_forward(a.atty.data(), p + L.projw, p + L.projb, a.x2.data(), N, C, C);
    cu::add(a.x2.data(), x, a.x2.data(), NC, stream_);
    cu::layernorm_forward(a.x2.data(), p + L.ln2w, p + L.ln2b, a.ln2.data(), a.ln2_mean.data(),
                          a.ln2_rstd.data(), N, C, stream_);
    blas_.linear_forward(a.ln2.data(), p + L.fcw, p + L.fcb, a.fch.data(), N, C, 4 * C);
    cu::gelu_forward(a.fch.data(), a.fchg.data(), NC * 4, stream_);
    bf16* out = resid_[static_cast<size_t>(l) + 1].data();
    blas_.linear_forward(a.fchg.data(), p + L.fcpw, p + L.fcpb, out, N, 4 * C, C);
    cu::add(out, a.x2.data(), out, NC, stream_);
  }
  lnf_out_.resize(NC), lnf_mean_.resize(static_cast<size_t>(N)),
      lnf_rstd_.resize(static_cast<size_t>(N));
  cu::layernorm_forward(resid_.back().data(), p + lnfw_, p + lnfb_, lnf_out_.data(),
                        lnf_mean_.data(), lnf_rstd_.data(), N, C, stream_);
  logits_.resize(static_cast<size_t>(N) * V);
  losses_.resize(static_cast<size_t>(N));
  blas_.linear_forward(lnf_out_.data(), p + wte_, nullptr, logits_.data(), N, C, V);
  // With gradients, the logits are overwritten in place by their gradient (each element is read
  // before it is written, by the same thread).
  cu::softmax_xent(logits_.data(), d_targets_.data(), losses_.data(),
                   keep_gradients ? logits_.data() : nullptr, N, V, grad_scale, stream_);
  return static_cast<float>(cu::sum(losses_.data(), static_cast<size_t>(N), stream_));
}

float GptCuda::forward_backward(const std::int32_t* tokens, int B, int Tn, const bf16* p, float* g,
                                float grad_scale, const models::GradReady& on_ready) {
  const float loss = forward(tokens, B, Tn, p, true, grad_scale);
  const int C = s_.width, V = s_.vocab, N = B * Tn;
  const size_t NC = static_cast<size_t>(N) * C;
  dx_.resize(NC), dtmp_.resize(NC), dx2_.resize(NC), dln_.resize(NC), datty_.resize(NC);
  dqkv_.resize(NC * 3), dfchg_.resize(NC * 4), dfch_.resize(NC * 4);
  // LM head (tied): logits = lnf_out · wteᵀ.
  blas_.linear_backward(logits_.data(), lnf_out_.data(), p + wte_, dtmp_.data(), g + wte_, nullptr,
                        N, C, V);
  cu::layernorm_backward(dtmp_.data(), resid_.back().data(), p + lnfw_, lnf_mean_.data(),
                         lnf_rstd_.data(), dx_.data(), g + lnfw_, g + lnfb_, N, C, stream_);
  ready(on_ready, lnfb_);
  ready(on_ready, lnfw_);
  for (int l = s_.layers; l-- > 0;) {
    const Layer& L = layers_[static_cast<size_t>(l)];
    Acts& a = acts_[static_cast<size_t>(l)];
    blas_.linear_backward(dx_.data(), a.fchg.data(), p + L.fcpw, dfchg_.data(), g + L.fcpw,
                          g + L.fcpb, N, 4 * C, C);
    cu::gelu_backward(dfchg_.data(), a.fch.data(), dfch_.data(), NC * 4, stream_);
    blas_.linear_backward(dfch_.data(), a.ln2.data(), p + L.fcw, dln_.data(), g + L.fcw, g + L.fcb,
                          N, C, 4 * C);
    cu::layernorm_backward(dln_.data(), a.x2.data(), p + L.ln2w, a.ln2_mean.data(),
                           a.ln2_rstd.data(), dtmp_.data(), g + L.ln2w, g + L.ln2b, N, C, stream_);
    cu::add(dx_.data(), dtmp_.data(), dx2_.data(), NC, stream_);
    for (size_t k : {L.fcpb, L.fcpw, L.fcb, L.fcw, L.ln2b, L.ln2w}) ready(on_ready, k);
    blas_.linear_backward(dx2_.data(), a.atty.data(), p + L.projw, datty_.data(), g + L.projw,
                          g + L.projb, N, C, C);
    blas_.attention_backward(datty_.data(), a.qkv.data(), a.att.data(), dqkv_.data(), B, Tn, C,
                             s_.heads);
    blas_.linear_backward(dqkv_.data(), a.ln1.data(), p + L.qkvw, dln_.data(), g + L.qkvw,
                          g + L.qkvb, N, C, 3 * C);
    cu::layernorm_backward(dln_.data(), resid_[static_cast<size_t>(l)].data(), p + L.ln1w,
                           a.ln1_mean.data(), a.ln1_rstd.data(), dtmp_.data(), g + L.ln1w,
                           g + L.ln1b, N, C, stream_);
    cu::add(dx2_.data(), dtmp_.data(), dx_.data(), NC, stream_);
    for (size_t k : {L.projb, L.projw, L.qkvb, L.qkvw, L.ln1b, L.ln1w}) ready(on_ready, k);
  }
  cu::embedding_backward(dx_.data(), groups_, group_count_, g + wte_, g + wpe_, B, Tn, C, stream_);
  ready(on_ready, wpe_);
  ready(on_ready, wte_);
  return loss;
}

float GptCuda::evaluate(const std::int32_t* tokens, int B, int Tn, const bf16* p) {
  return forward(tokens, B, Tn, p, false, 1.0f);
}

}  // namespace slipway::train
