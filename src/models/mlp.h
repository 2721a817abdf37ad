// A multilayer perceptron classifier over a flat parameter vector, templated on the number type
// and the operator set: MLP<float, FastOps> trains, MLP<double, RefOps> checks gradients against
// finite differences, MLP<float, RefOps> checks the fast path.
//
// Parameters, in order: layer 0 W [h0][in], b [h0], layer 1 W, b, ..., output W [classes][h_last],
// b. Gradients become final from the last layer to the first; `on_ready(offset, size)` is called as
// each one does, so the data-parallel layer can start reducing it while backward goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "models/ops.h"

namespace slipway::models {

template <typename T, typename Ops>
class Mlp {
 public:
  Mlp(int inputs, std::vector<int> hidden, int classes) : classes_(classes) {
    dims_.push_back(inputs);
    for (int h : hidden) dims_.push_back(h);
    dims_.push_back(classes);
    size_t off = 0;
    for (size_t l = 0; l + 1 < dims_.size(); ++l) {
      size_t w = static_cast<size_t>(dims_[l + 1]) * dims_[l];
      params_.push_back({"layer" + std::to_string(l) + ".weight", off, w, true});
      off += w;
      params_.push_back(
          {"layer" + std::to_string(l) + ".bias", off, static_cast<size_t>(dims_[l + 1]), false});
      off += static_cast<size_t>(dims_[l + 1]);
    }
    total_ = off;
  }

  size_t num_params() const { return total_; }
  const std::vector<ParamInfo>& params() const { return params_; }
  int classes() const { return classes_; }
  std::string signature() const {
    std::string s = "mlp";
    for (int d : dims_) s += ":" + std::to_string(d);
    return s;
  }

  // He-uniform weights, zero biases; a function of the seed alone.
  void init(T* p, std::uint64_t seed) const {
    std::mt19937_64 rng(seed);
    for (size_t l = 0; l + 1 < dims_.size(); ++l) {
      const ParamInfo& w = params_[2 * l];
      double bound = std::sqrt(6.0 / dims_[l]);
      for (size_t i = 0; i < w.size; ++i) {
        double u =
            static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);  // [0, 1), 53 bits
        p[w.offset + i] = static_cast<T>((2 * u - 1) * bound);
      }
      const ParamInfo& b = params_[2 * l + 1];
      std::fill(p + b.offset, p + b.offset + b.size, T(0));
    }
  }

  // Sum of the rows' losses; grads += d(sum · grad_scale)/dparams.
  T forward_backward(const T* x, const std::int32_t* y, int rows, const T* p, T* g, T grad_scale,
                     const GradReady& on_ready = nullptr) {
    forward(x, rows, p);
    const size_t L = dims_.size() - 1;
    std::vector<T>& logits = acts_[L];
    std::vector<T> d(logits.size());
    T loss = Ops::softmax_xent(logits.data(), y, d.data(), rows, classes_, grad_scale);
    std::vector<T> dprev;
    for (size_t l = L; l-- > 0;) {
      const ParamInfo& w = params_[2 * l];
      const ParamInfo& b = params_[2 * l + 1];
      const T* in = l == 0 ? x : acts_[l].data();
      dprev.assign(l == 0 ? 0 : static_cast<size_t>(rows) * dims_[l], T(0));
      Ops::linear_backward(d.data(), in, p + w.offset, l == 0 ? nullptr : dprev.data(),
                           g + w.offset, g + b.offset, rows, dims_[l], dims_[l + 1]);
      if (on_ready) {
        on_ready(b.offset, b.size);
        on_ready(w.offset, w.size);
      }
      if (l == 0) break;
      // Through the activation of layer l's input: acts_[l] = relu(pre_[l]).
      d.assign(dprev.size(), T(0));
      Ops::relu_backward(dprev.data(), pre_[l].data(), d.data(), dprev.size());
    }
    return loss;
  }

  // The logits of each row ([rows][classes]), valid until the next call.
  const std::vector<T>& logits(const T* x, int rows, const T* p) {
    forward(x, rows, p);
    return acts_[dims_.size() - 1];
  }

  // The argmax class of each row.
  std::vector<int> predict(const T* x, int rows, const T* p) {
    forward(x, rows, p);
    const std::vector<T>& logits = acts_[dims_.size() - 1];
    std::vector<int> out(static_cast<size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      const T* l = logits.data() + static_cast<size_t>(r) * classes_;
      out[static_cast<size_t>(r)] = static_cast<int>(std::max_element(l, l + classes_) - l);
    }
    return out;
  }

  // Sum of losses, and how many rows the argmax got right.
  T evaluate(const T* x, const std::int32_t* y, int rows, const T* p, int* correct) {
    forward(x, rows, p);
    const std::vector<T>& logits = acts_[dims_.size() - 1];
    *correct = 0;
    for (int r = 0; r < rows; ++r) {
      const T* l = logits.data() + static_cast<size_t>(r) * classes_;
      *correct += static_cast<int>(std::max_element(l, l + classes_) - l) == y[r];
    }
    return Ops::softmax_xent(logits.data(), y, static_cast<T*>(nullptr), rows, classes_, T(1));
  }

 private:
  void forward(const T* x, int rows, const T* p) {
    const size_t L = dims_.size() - 1;
    acts_.resize(L + 1);
    pre_.resize(L + 1);
    for (size_t l = 0; l < L; ++l) {
      const T* in = l == 0 ? x : acts_[l].data();
      std::vector<T>& out = l + 1 == L ? acts_[L] : pre_[l + 1];
      out.assign(static_cast<size_t>(rows) * dims_[l + 1], T(0));
      Ops::linear_forward(in, p + params_[2 * l].offset, p + params_[2 * l + 1].offset, out.data(),
                          rows, dims_[l], dims_[l + 1]);
      if (l + 1 < L) {
        acts_[l + 1].assign(out.size(), T(0));
        Ops::relu_forward(out.data(), acts_[l + 1].data(), out.size());
      }
    }
  }

  std::vector<int> dims_;
  int classes_;
  std::vector<ParamInfo> params_;
  size_t total_ = 0;
  std::vector<std::vector<T>> acts_,
      pre_;  // acts_[l]: input of layer l (post-activation); pre_[l]: before it
};

}  // namespace slipway::models
