// Reference operators of the trainer: plain loops, templated on the number type so gradient
// checks can run them in double. They define what every fast path (OpenBLAS here, CUDA in
// kernels/cuda) must compute; tests compare each fast kernel against them.
//
// Layouts are row-major. A linear layer keeps W as [out][in] and computes y = x·Wᵀ + b.
// Backward functions accumulate (+=) into parameter gradients and overwrite input gradients.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace slipway::kernels::ref {

template <typename T>
void linear_forward(const T* x, const T* w, const T* b, T* y, int rows, int in, int out) {
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < out; ++o) {
      T s = b ? b[o] : T(0);
      for (int i = 0; i < in; ++i) s += x[static_cast<size_t>(r) * in + i] * w[static_cast<size_t>(o) * in + i];
      y[static_cast<size_t>(r) * out + o] = s;
    }
}

// dx may be null (the first layer needs no input gradient).
template <typename T>
void linear_backward(const T* dy, const T* x, const T* w, T* dx, T* dw, T* db, int rows, int in, int out) {
  if (dx)
    for (int r = 0; r < rows; ++r)
      for (int i = 0; i < in; ++i) {
        T s = 0;
        for (int o = 0; o < out; ++o) s += dy[static_cast<size_t>(r) * out + o] * w[static_cast<size_t>(o) * in + i];
        dx[static_cast<size_t>(r) * in + i] = s;
      }
  for (int o = 0; o < out; ++o) {
    for (int i = 0; i < in; ++i) {
      T s = 0;
      for (int r = 0; r < rows; ++r) s += dy[static_cast<size_t>(r) * out + o] * x[static_cast<size_t>(r) * in + i];
      dw[static_cast<size_t>(o) * in + i] += s;
    }
    if (db) {
      T s = 0;
      for (int r = 0; r < rows; ++r) s += dy[static_cast<size_t>(r) * out + o];
      db[o] += s;
    }
  }
}

template <typename T>
void relu_forward(const T* x, T* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}

template <typename T>
void relu_backward(const T* dy, const T* x, T* dx, size_t n) {
  for (size_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : T(0);
}

// GELU, tanh approximation (GPT-2's).
template <typename T>
void gelu_forward(const T* x, T* y, size_t n) {
  const T c = std::sqrt(T(2) / T(M_PI));
  for (size_t i = 0; i < n; ++i) {
    T v = x[i];
    y[i] = T(0.5) * v * (T(1) + std::tanh(c * (v + T(0.044715) * v * v * v)));
  }
}

template <typename T>
void gelu_backward(const T* dy, const T* x, T* dx, size_t n) {
  const T c = std::sqrt(T(2) / T(M_PI));
  for (size_t i = 0; i < n; ++i) {
    T v = x[i];
    T u = c * (v + T(0.044715) * v * v * v);
    T t = std::tanh(u);
    T du = c * (T(1) + T(3) * T(0.044715) * v * v);
    dx[i] = dy[i] * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * du);
  }
}

// Softmax cross-entropy over `classes` logits per row. Returns the sum of the rows' losses;
// dlogits (if given) = (softmax − onehot) · grad_scale. Labels out of range are the caller's
// error to catch before.
template <typename T>
T softmax_xent(const T* logits, const std::int32_t* labels, T* dlogits, int rows, int classes, T grad_scale) {
  T total = 0;
  for (int r = 0; r < rows; ++r) {
    const T* l = logits + static_cast<size_t>(r) * classes;
    T mx = l[0];
    for (int c = 1; c < classes; ++c) mx = l[c] > mx ? l[c] : mx;
    T sum = 0;
    for (int c = 0; c < classes; ++c) sum += std::exp(l[c] - mx);
    T lse = mx + std::log(sum);
    total += lse - l[labels[r]];
    if (dlogits)
      for (int c = 0; c < classes; ++c)
        dlogits[static_cast<size_t>(r) * classes + c] = (std::exp(l[c] - lse) - (c == labels[r] ? T(1) : T(0))) * grad_scale;
  }
  return total;
}

// AdamW (decoupled weight decay) over a flat parameter vector; `step` counts from 1.
template <typename T>
void adamw(T* p, const T* g, T* m, T* v, size_t n, T lr, T beta1, T beta2, T eps, T weight_decay, std::int64_t step,
           const std::uint8_t* decay_mask) {
  const T c1 = T(1) - std::pow(beta1, static_cast<T>(step));
  const T c2 = T(1) - std::pow(beta2, static_cast<T>(step));
  for (size_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + (T(1) - beta1) * g[i];
    v[i] = beta2 * v[i] + (T(1) - beta2) * g[i] * g[i];
    T mhat = m[i] / c1, vhat = v[i] / c2;
    T wd = decay_mask && !decay_mask[i] ? T(0) : weight_decay;
    p[i] -= lr * (mhat / (std::sqrt(vhat) + eps) + wd * p[i]);
  }
}

template <typename T>
T sum_squares(const T* x, size_t n) {
  T s = 0;
  for (size_t i = 0; i < n; ++i) s += x[i] * x[i];
  return s;
}

}  // namespace slipway::kernels::ref
