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
#include <vector>

namespace slipway::kernels::ref {

template <typename T>
void linear_forward(const T* x, const T* w, const T* b, T* y, int rows, int in, int out) {
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < out; ++o) {
      T s = b ? b[o] : T(0);
      for (int i = 0; i < in; ++i)
        s += x[static_cast<size_t>(r) * in + i] * w[static_cast<size_t>(o) * in + i];
      y[static_cast<size_t>(r) * out + o] = s;
    }
}

// dx may be null (the first layer needs no input gradient).
template <typename T>
void linear_backward(const T* dy, const T* x, const T* w, T* dx, T* dw, T* db, int rows, int in,
                     int out) {
  if (dx)
    for (int r = 0; r < rows; ++r)
      for (int i = 0; i < in; ++i) {
        T s = 0;
        for (int o = 0; o < out; ++o)
          s += dy[static_cast<size_t>(r) * out + o] * w[static_cast<size_t>(o) * in + i];
        dx[static_cast<size_t>(r) * in + i] = s;
      }
  for (int o = 0; o < out; ++o) {
    for (int i = 0; i < in; ++i) {
      T s = 0;
      for (int r = 0; r < rows; ++r)
        s += dy[static_cast<size_t>(r) * out + o] * x[static_cast<size_t>(r) * in + i];
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

// y = a + b, elementwise (y may alias a or b): residual connections.
template <typename T>
void add(const T* a, const T* b, T* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
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
T softmax_xent(const T* logits, const std::int32_t* labels, T* dlogits, int rows, int classes,
               T grad_scale) {
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
        dlogits[static_cast<size_t>(r) * classes + c] =
            (std::exp(l[c] - lse) - (c == labels[r] ? T(1) : T(0))) * grad_scale;
  }
  return total;
}

// AdamW (decoupled weight decay) over a flat parameter vector; `step` counts from 1.
template <typename T>
void adamw(T* p, const T* g, T* m, T* v, size_t n, T lr, T beta1, T beta2, T eps, T weight_decay,
           std::int64_t step, const std::uint8_t* decay_mask) {
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

// Layer normalization of each row of C values: y = (x − mean) · rstd · w + b. Saves mean and
// rstd (1/sqrt(var + 1e-5)) per row for backward.
template <typename T>
void layernorm_forward(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int rows,
                       int C) {
  for (int r = 0; r < rows; ++r) {
    const T* xr = x + static_cast<size_t>(r) * C;
    T m = 0;
    for (int i = 0; i < C; ++i) m += xr[i];
    m /= C;
    T v = 0;
    for (int i = 0; i < C; ++i) v += (xr[i] - m) * (xr[i] - m);
    v /= C;
    T s = T(1) / std::sqrt(v + T(1e-5));
    for (int i = 0; i < C; ++i) y[static_cast<size_t>(r) * C + i] = (xr[i] - m) * s * w[i] + b[i];
    mean[r] = m;
    rstd[r] = s;
  }
}

// dx is overwritten; dw and db accumulate.
template <typename T>
void layernorm_backward(const T* dy, const T* x, const T* w, const T* mean, const T* rstd, T* dx,
                        T* dw, T* db, int rows, int C) {
  for (int r = 0; r < rows; ++r) {
    const T* xr = x + static_cast<size_t>(r) * C;
    const T* dyr = dy + static_cast<size_t>(r) * C;
    T dnorm_mean = 0, dnorm_norm_mean = 0;
    for (int i = 0; i < C; ++i) {
      T norm = (xr[i] - mean[r]) * rstd[r];
      T dnorm = dyr[i] * w[i];
      dnorm_mean += dnorm;
      dnorm_norm_mean += dnorm * norm;
      dw[i] += dyr[i] * norm;
      db[i] += dyr[i];
    }
    dnorm_mean /= C;
    dnorm_norm_mean /= C;
    for (int i = 0; i < C; ++i) {
      T norm = (xr[i] - mean[r]) * rstd[r];
      dx[static_cast<size_t>(r) * C + i] =
          (dyr[i] * w[i] - dnorm_mean - norm * dnorm_norm_mean) * rstd[r];
    }
  }
}

// Causal multi-head self-attention. qkv is [B][T][3C] (queries, keys, values, each C = heads ×
// head size); out is [B][T][C]; att saves the softmax probabilities [B][heads][T][T].
template <typename T>
void attention_forward(const T* qkv, T* out, T* att, int B, int Tn, int C, int heads) {
  const int hs = C / heads;
  const T scale = T(1) / std::sqrt(static_cast<T>(hs));
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < heads; ++h)
      for (int t = 0; t < Tn; ++t) {
        const T* q = qkv + (static_cast<size_t>(b) * Tn + t) * 3 * C + h * hs;
        T* a = att + ((static_cast<size_t>(b) * heads + h) * Tn + t) * Tn;
        T mx = -1e30;
        for (int t2 = 0; t2 <= t; ++t2) {
          const T* k = qkv + (static_cast<size_t>(b) * Tn + t2) * 3 * C + C + h * hs;
          T s = 0;
          for (int i = 0; i < hs; ++i) s += q[i] * k[i];
          a[t2] = s * scale;
          mx = a[t2] > mx ? a[t2] : mx;
        }
        T sum = 0;
        for (int t2 = 0; t2 <= t; ++t2) {
          a[t2] = std::exp(a[t2] - mx);
          sum += a[t2];
        }
        for (int t2 = 0; t2 < Tn; ++t2) a[t2] = t2 <= t ? a[t2] / sum : T(0);
        T* o = out + (static_cast<size_t>(b) * Tn + t) * C + h * hs;
        for (int i = 0; i < hs; ++i) o[i] = 0;
        for (int t2 = 0; t2 <= t; ++t2) {
          const T* v = qkv + (static_cast<size_t>(b) * Tn + t2) * 3 * C + 2 * C + h * hs;
          for (int i = 0; i < hs; ++i) o[i] += a[t2] * v[i];
        }
      }
}

// dqkv is overwritten.
template <typename T>
void attention_backward(const T* dout, const T* qkv, const T* att, T* dqkv, int B, int Tn, int C,
                        int heads) {
  const int hs = C / heads;
  const T scale = T(1) / std::sqrt(static_cast<T>(hs));
  for (size_t i = 0; i < static_cast<size_t>(B) * Tn * 3 * C; ++i) dqkv[i] = 0;
  std::vector<T> datt(static_cast<size_t>(Tn));
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < heads; ++h)
      for (int t = 0; t < Tn; ++t) {
        const T* a = att + ((static_cast<size_t>(b) * heads + h) * Tn + t) * Tn;
        const T* d = dout + (static_cast<size_t>(b) * Tn + t) * C + h * hs;
        const T* q = qkv + (static_cast<size_t>(b) * Tn + t) * 3 * C + h * hs;
        T* dq = dqkv + (static_cast<size_t>(b) * Tn + t) * 3 * C + h * hs;
        T dot = 0;
        for (int t2 = 0; t2 <= t; ++t2) {
          const T* v = qkv + (static_cast<size_t>(b) * Tn + t2) * 3 * C + 2 * C + h * hs;
          T* dv = dqkv + (static_cast<size_t>(b) * Tn + t2) * 3 * C + 2 * C + h * hs;
          T s = 0;
          for (int i = 0; i < hs; ++i) {
            s += d[i] * v[i];
            dv[i] += a[t2] * d[i];
          }
          datt[static_cast<size_t>(t2)] = s;
          dot += a[t2] * s;
        }
        for (int t2 = 0; t2 <= t; ++t2) {
          T dpre = a[t2] * (datt[static_cast<size_t>(t2)] - dot) * scale;
          const T* k = qkv + (static_cast<size_t>(b) * Tn + t2) * 3 * C + C + h * hs;
          T* dk = dqkv + (static_cast<size_t>(b) * Tn + t2) * 3 * C + C + h * hs;
          for (int i = 0; i < hs; ++i) {
            dq[i] += dpre * k[i];
            dk[i] += dpre * q[i];
          }
        }
      }
}

// Token and position embeddings: out[b][t] = wte[tokens[b][t]] + wpe[t].
template <typename T>
void embedding_forward(const std::int32_t* tokens, const T* wte, const T* wpe, T* out, int B,
                       int Tn, int C) {
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Tn; ++t) {
      const T* e = wte + static_cast<size_t>(tokens[b * Tn + t]) * C;
      const T* p = wpe + static_cast<size_t>(t) * C;
      T* o = out + (static_cast<size_t>(b) * Tn + t) * C;
      for (int i = 0; i < C; ++i) o[i] = e[i] + p[i];
    }
}

template <typename T>
void embedding_backward(const T* dout, const std::int32_t* tokens, T* dwte, T* dwpe, int B, int Tn,
                        int C) {
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Tn; ++t) {
      const T* d = dout + (static_cast<size_t>(b) * Tn + t) * C;
      T* e = dwte + static_cast<size_t>(tokens[b * Tn + t]) * C;
      T* p = dwpe + static_cast<size_t>(t) * C;
      for (int i = 0; i < C; ++i) {
        e[i] += d[i];
        p[i] += d[i];
      }
    }
}

}  // namespace slipway::kernels::ref
