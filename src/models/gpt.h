// A GPT-2-style decoder-only transformer over a flat parameter vector, templated like Mlp on the
// number type and the operator set: pre-LayerNorm blocks of causal multi-head attention and a
// GELU MLP (4× wide), learned position embeddings, a final LayerNorm, and the output projection
// tied to the token embedding. The model llm.c and nanoGPT use to compare trainers.
//
// Parameters, in order: wte [V][C], wpe [T][C], then per layer ln1 w,b [C], qkv W [3C][C] b [3C],
// attn proj W [C][C] b [C], ln2 w,b, fc W [4C][C] b [4C], fc proj W [C][4C] b [C]; then lnf w,b.
// Backward finishes them from the end (lnf, the last layer, ...) and wte/wpe last, so gradient
// buckets formed from the end of the buffer start reducing early.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "models/ops.h"

namespace slipway::models {

struct GptShape {
  int vocab = 256, context = 64, layers = 2, width = 64, heads = 4;
  std::string signature() const {
    return "gpt:" + std::to_string(vocab) + ":" + std::to_string(context) + ":" +
           std::to_string(layers) + ":" + std::to_string(width) + ":" + std::to_string(heads);
  }
};

// Windows of Tn + 1 tokens ([B][Tn + 1]) into the model's inputs (positions 0..Tn−1) and the
// targets they predict (positions 1..Tn), each [B·Tn].
inline void split_windows(const std::int32_t* tokens, int B, int Tn,
                          std::vector<std::int32_t>* inputs, std::vector<std::int32_t>* targets) {
  inputs->resize(static_cast<size_t>(B) * Tn);
  targets->resize(static_cast<size_t>(B) * Tn);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Tn; ++t) {
      (*inputs)[static_cast<size_t>(b * Tn + t)] = tokens[b * (Tn + 1) + t];
      (*targets)[static_cast<size_t>(b * Tn + t)] = tokens[b * (Tn + 1) + t + 1];
    }
}

template <typename T, typename Ops>
class Gpt {
 public:
  explicit Gpt(GptShape s) : s_(s) {
    const size_t C = static_cast<size_t>(s.width);
    size_t off = 0;
    auto add = [&](const std::string& name, size_t n, bool decay) {
      params_.push_back({name, off, n, decay});
      off += n;
      return params_.size() - 1;
    };
    wte_ = add("wte", static_cast<size_t>(s.vocab) * C, true);
    wpe_ = add("wpe", static_cast<size_t>(s.context) * C, true);
    for (int l = 0; l < s.layers; ++l) {
      std::string p = "h" + std::to_string(l) + ".";
      Layer L;
      L.ln1w = add(p + "ln1.weight", C, false);
      L.ln1b = add(p + "ln1.bias", C, false);
      L.qkvw = add(p + "attn.qkv.weight", 3 * C * C, true);
      L.qkvb = add(p + "attn.qkv.bias", 3 * C, false);
      L.projw = add(p + "attn.proj.weight", C * C, true);
      L.projb = add(p + "attn.proj.bias", C, false);
      L.ln2w = add(p + "ln2.weight", C, false);
      L.ln2b = add(p + "ln2.bias", C, false);
      L.fcw = add(p + "mlp.fc.weight", 4 * C * C, true);
      L.fcb = add(p + "mlp.fc.bias", 4 * C, false);
      L.fcpw = add(p + "mlp.proj.weight", 4 * C * C, true);
      L.fcpb = add(p + "mlp.proj.bias", C, false);
      layers_.push_back(L);
    }
    lnfw_ = add("lnf.weight", C, false);
    lnfb_ = add("lnf.bias", C, false);
    total_ = off;
  }

  size_t num_params() const { return total_; }
  const std::vector<ParamInfo>& params() const { return params_; }
  std::string signature() const { return s_.signature(); }
  const GptShape& shape() const { return s_; }

  // GPT-2's initialization: weights N(0, 0.02), residual projections N(0, 0.02/sqrt(2·layers)),
  // biases 0, LayerNorm weights 1. A function of the seed alone (Box–Muller over mt19937_64).
  void init(T* p, std::uint64_t seed) const {
    std::mt19937_64 rng(seed);
    auto uniform = [&] {
      return (static_cast<double>(rng() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    };
    auto normal = [&](double sd) {
      return sd * std::sqrt(-2.0 * std::log(uniform())) * std::cos(2 * M_PI * uniform());
    };
    for (const auto& info : params_) {
      bool is_ln_weight = info.name.find("ln") != std::string::npos &&
                          info.name.find("weight") != std::string::npos;
      bool is_bias = info.name.find("bias") != std::string::npos;
      bool residual = info.name.find("proj.weight") != std::string::npos;
      double sd = residual ? 0.02 / std::sqrt(2.0 * s_.layers) : 0.02;
      for (size_t i = 0; i < info.size; ++i)
        p[info.offset + i] = is_ln_weight ? T(1) : is_bias ? T(0) : static_cast<T>(normal(sd));
    }
  }

  // tokens: [B][Tn + 1]; position t predicts token t + 1. Returns the sum of the B·Tn losses;
  // grads += d(sum · grad_scale)/dparams.
  T forward_backward(const std::int32_t* tokens, int B, int Tn, const T* p, T* g, T grad_scale,
                     const GradReady& on_ready = nullptr) {
    T loss = forward(tokens, B, Tn, p);
    const int C = s_.width, V = s_.vocab;
    const int N = B * Tn;
    const size_t NC = static_cast<size_t>(N) * C;
    // Scratch reused across steps: fresh multi-megabyte vectors each layer cost page faults and
    // zeroing that showed in profiles.
    Scratch& w = scratch_;
    w.dlogits.resize(static_cast<size_t>(N) * V);
    w.dx.resize(NC), w.dtmp.resize(NC), w.dx2.resize(NC), w.dln.resize(NC), w.datty.resize(NC);
    w.dqkv.resize(NC * 3), w.dfchg.resize(NC * 4), w.dfch.resize(NC * 4);
    Ops::softmax_xent(logits_.data(), targets_.data(), w.dlogits.data(), N, V, grad_scale);
    // LM head (tied): logits = lnf_out · wteᵀ.
    Ops::linear_backward(w.dlogits.data(), lnf_out_.data(), p + off(wte_), w.dtmp.data(),
                         g + off(wte_), static_cast<T*>(nullptr), N, C, V);
    Ops::layernorm_backward(w.dtmp.data(), resid_.back().data(), p + off(lnfw_), lnf_mean_.data(),
                            lnf_rstd_.data(), w.dx.data(), g + off(lnfw_), g + off(lnfb_), N, C);
    ready(on_ready, lnfb_);
    ready(on_ready, lnfw_);
    for (int l = s_.layers; l-- > 0;) {
      const Layer& L = layers_[static_cast<size_t>(l)];
      Acts& a = acts_[static_cast<size_t>(l)];
      // MLP half: x3 = x2 + proj(gelu(fc(ln2(x2)))); dx holds d(x3).
      Ops::linear_backward(w.dx.data(), a.fchg.data(), p + off(L.fcpw), w.dfchg.data(),
                           g + off(L.fcpw), g + off(L.fcpb), N, 4 * C, C);
      Ops::gelu_backward(w.dfchg.data(), a.fch.data(), w.dfch.data(), NC * 4);
      Ops::linear_backward(w.dfch.data(), a.ln2.data(), p + off(L.fcw), w.dln.data(),
                           g + off(L.fcw), g + off(L.fcb), N, C, 4 * C);
      Ops::layernorm_backward(w.dln.data(), a.x2.data(), p + off(L.ln2w), a.ln2_mean.data(),
                              a.ln2_rstd.data(), w.dtmp.data(), g + off(L.ln2w), g + off(L.ln2b), N,
                              C);
      Ops::add(w.dx.data(), w.dtmp.data(), w.dx2.data(), NC);
      for (size_t k : {L.fcpb, L.fcpw, L.fcb, L.fcw, L.ln2b, L.ln2w}) ready(on_ready, k);
      // Attention half: x2 = x + proj(attn(qkv(ln1(x)))).
      Ops::linear_backward(w.dx2.data(), a.atty.data(), p + off(L.projw), w.datty.data(),
                           g + off(L.projw), g + off(L.projb), N, C, C);
      Ops::attention_backward(w.datty.data(), a.qkv.data(), a.att.data(), w.dqkv.data(), B, Tn, C,
                              s_.heads);
      Ops::linear_backward(w.dqkv.data(), a.ln1.data(), p + off(L.qkvw), w.dln.data(),
                           g + off(L.qkvw), g + off(L.qkvb), N, C, 3 * C);
      Ops::layernorm_backward(w.dln.data(), resid_[static_cast<size_t>(l)].data(), p + off(L.ln1w),
                              a.ln1_mean.data(), a.ln1_rstd.data(), w.dtmp.data(), g + off(L.ln1w),
                              g + off(L.ln1b), N, C);
      Ops::add(w.dx2.data(), w.dtmp.data(), w.dx.data(), NC);
      for (size_t k : {L.projb, L.projw, L.qkvb, L.qkvw, L.ln1b, L.ln1w}) ready(on_ready, k);
    }
    Ops::embedding_backward(w.dx.data(), inputs_.data(), g + off(wte_), g + off(wpe_), B, Tn, C);
    ready(on_ready, wpe_);
    ready(on_ready, wte_);
    return loss;
  }

  // The sum of the B·Tn losses, without gradients.
  T evaluate(const std::int32_t* tokens, int B, int Tn, const T* p) {
    return forward(tokens, B, Tn, p);
  }

  // The logits ([Tn][vocab]) of one sequence of Tn tokens (Tn ≤ context): position t predicts
  // token t + 1. For generation; valid until the next call.
  const std::vector<T>& logits(const std::int32_t* tokens, int Tn, const T* p) {
    window_.assign(tokens, tokens + Tn);
    window_.push_back(0);  // forward reads windows of Tn + 1; the last token is only a target
    forward(window_.data(), 1, Tn, p);
    return logits_;
  }

 private:
  struct Layer {
    size_t ln1w, ln1b, qkvw, qkvb, projw, projb, ln2w, ln2b, fcw, fcb, fcpw, fcpb;
  };
  struct Scratch {
    std::vector<T> dlogits, dx, dtmp, dx2, dln, datty, dqkv, dfchg, dfch;
  };
  struct Acts {
    std::vector<T> ln1, ln1_mean, ln1_rstd, qkv, att, atty, x2, ln2, ln2_mean, ln2_rstd, fch, fchg;
  };

  size_t off(size_t param) const { return params_[param].offset; }
  void ready(const GradReady& cb, size_t param) const {
    if (cb) cb(params_[param].offset, params_[param].size);
  }

  T forward(const std::int32_t* tokens, int B, int Tn, const T* p) {
    const int C = s_.width, V = s_.vocab, N = B * Tn;
    const size_t NC = static_cast<size_t>(N) * C;
    split_windows(tokens, B, Tn, &inputs_, &targets_);
    resid_.resize(static_cast<size_t>(s_.layers) + 1);
    for (auto& r : resid_) r.resize(NC);
    acts_.resize(static_cast<size_t>(s_.layers));
    Ops::embedding_forward(inputs_.data(), p + off(wte_), p + off(wpe_), resid_[0].data(), B, Tn,
                           C);
    for (int l = 0; l < s_.layers; ++l) {
      const Layer& L = layers_[static_cast<size_t>(l)];
      Acts& a = acts_[static_cast<size_t>(l)];
      const std::vector<T>& x = resid_[static_cast<size_t>(l)];
      a.ln1.resize(NC), a.ln1_mean.resize(static_cast<size_t>(N)),
          a.ln1_rstd.resize(static_cast<size_t>(N));
      a.qkv.resize(NC * 3), a.att.resize(static_cast<size_t>(B) * s_.heads * Tn * Tn),
          a.atty.resize(NC), a.x2.resize(NC);
      a.ln2.resize(NC), a.ln2_mean.resize(static_cast<size_t>(N)),
          a.ln2_rstd.resize(static_cast<size_t>(N));
      a.fch.resize(NC * 4), a.fchg.resize(NC * 4);
      Ops::layernorm_forward(x.data(), p + off(L.ln1w), p + off(L.ln1b), a.ln1.data(),
                             a.ln1_mean.data(), a.ln1_rstd.data(), N, C);
      Ops::linear_forward(a.ln1.data(), p + off(L.qkvw), p + off(L.qkvb), a.qkv.data(), N, C,
                          3 * C);
      Ops::attention_forward(a.qkv.data(), a.atty.data(), a.att.data(), B, Tn, C, s_.heads);
      Ops::linear_forward(a.atty.data(), p + off(L.projw), p + off(L.projb), a.x2.data(), N, C, C);
      Ops::add(a.x2.data(), x.data(), a.x2.data(), NC);
      Ops::layernorm_forward(a.x2.data(), p + off(L.ln2w), p + off(L.ln2b), a.ln2.data(),
                             a.ln2_mean.data(), a.ln2_rstd.data(), N, C);
      Ops::linear_forward(a.ln2.data(), p + off(L.fcw), p + off(L.fcb), a.fch.data(), N, C, 4 * C);
      Ops::gelu_forward(a.fch.data(), a.fchg.data(), NC * 4);
      std::vector<T>& out = resid_[static_cast<size_t>(l) + 1];
      Ops::linear_forward(a.fchg.data(), p + off(L.fcpw), p + off(L.fcpb), out.data(), N, 4 * C, C);
      Ops::add(out.data(), a.x2.data(), out.data(), NC);
    }
    lnf_out_.resize(NC), lnf_mean_.resize(static_cast<size_t>(N)),
        lnf_rstd_.resize(static_cast<size_t>(N));
    Ops::layernorm_forward(resid_.back().data(), p + off(lnfw_), p + off(lnfb_), lnf_out_.data(),
                           lnf_mean_.data(), lnf_rstd_.data(), N, C);
    logits_.resize(static_cast<size_t>(N) * V);
    Ops::linear_forward(lnf_out_.data(), p + off(wte_), static_cast<const T*>(nullptr),
                        logits_.data(), N, C, V);
    return Ops::softmax_xent(logits_.data(), targets_.data(), static_cast<T*>(nullptr), N, V, T(1));
  }

  GptShape s_;
  std::vector<ParamInfo> params_;
  std::vector<Layer> layers_;
  size_t wte_ = 0, wpe_ = 0, lnfw_ = 0, lnfb_ = 0, total_ = 0;
  std::vector<std::int32_t> inputs_, targets_, window_;
  std::vector<std::vector<T>> resid_;  // resid_[l]: input of layer l; resid_.back(): after the last
  std::vector<Acts> acts_;
  Scratch scratch_;
  std::vector<T> lnf_out_, lnf_mean_, lnf_rstd_, logits_;
};

}  // namespace slipway::models
