#include "fast_ops.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "reference_ops.h"

namespace slipway::kernels::fast {

void linear_forward(const float* x, const float* w, const float* b, float* y, int rows, int in, int out) {
  // y[rows×out] = x[rows×in] · w[out×in]ᵀ, after y = b broadcast.
  for (int r = 0; r < rows; ++r) {
    float* yr = y + static_cast<size_t>(r) * out;
    if (b) std::copy(b, b + out, yr);
    else std::fill(yr, yr + out, 0.0f);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x, in, w, in, 1.0f, y, out);
}

void linear_backward(const float* dy, const float* x, const float* w, float* dx, float* dw, float* db, int rows, int in,
                     int out) {
  // dx[rows×in] = dy[rows×out] · w[out×in]
  if (dx) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in);
  // dw[out×in] += dyᵀ[out×rows] · x[rows×in]
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, rows, 1.0f, dy, out, x, in, 1.0f, dw, in);
  if (db)
    for (int r = 0; r < rows; ++r) {
      const float* d = dy + static_cast<size_t>(r) * out;
      for (int o = 0; o < out; ++o) db[o] += d[o];
    }
}

void relu_forward(const float* x, float* y, size_t n) {
#pragma omp parallel for if (n > 65536)
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_backward(const float* dy, const float* x, float* dx, size_t n) {
#pragma omp parallel for if (n > 65536)
  for (size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

float softmax_xent(const float* logits, const std::int32_t* labels, float* dlogits, int rows, int classes, float grad_scale) {
  return ref::softmax_xent<float>(logits, labels, dlogits, rows, classes, grad_scale);
}

void adamw(float* p, const float* g, float* m, float* v, size_t n, float lr, float beta1, float beta2, float eps,
           float weight_decay, std::int64_t step, const std::uint8_t* decay_mask) {
  const float c1 = 1.0f - std::pow(beta1, static_cast<float>(step));
  const float c2 = 1.0f - std::pow(beta2, static_cast<float>(step));
#pragma omp parallel for if (n > 65536)
  for (size_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + (1.0f - beta1) * g[i];
    v[i] = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
    float wd = decay_mask && !decay_mask[i] ? 0.0f : weight_decay;
    p[i] -= lr * ((m[i] / c1) / (std::sqrt(v[i] / c2) + eps) + wd * p[i]);
  }
}

namespace {
// e^x for |x| < 87 in plain arithmetic, so the loops around it vectorize: x = k·ln2 + r with k
// rounded by the 1.5·2^23 trick, e^r by Cephes' degree-6 polynomial (relative error ~1e-7), 2^k
// through the exponent bits.
inline float exp_approx(float x) {
  x = std::clamp(x, -87.0f, 87.0f);
  const float shifter = 12582912.0f;  // 1.5 · 2^23: adding it rounds to an integer
  float k = (x * 1.44269504088896341f + shifter) - shifter;
  float r = x - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  std::int32_t bits = (static_cast<std::int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// tanh(u) = 1 − 2 / (e^{2u} + 1), saturating cleanly for large |u|.
inline float fast_tanh(float u) {
  u = std::clamp(u, -15.0f, 15.0f);
  return 1.0f - 2.0f / (exp_approx(2.0f * u) + 1.0f);
}
constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2/pi)
}  // namespace

void gelu_forward(const float* x, float* y, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) {
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + fast_tanh(kGeluC * (v + 0.044715f * v * v * v)));
  }
}

void gelu_backward(const float* dy, const float* x, float* dx, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) {
    float v = x[i];
    float t = fast_tanh(kGeluC * (v + 0.044715f * v * v * v));
    float du = kGeluC * (1.0f + 3.0f * 0.044715f * v * v);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
  }
}

void attention_forward(const float* qkv, float* out, float* att, int B, int T, int C, int heads) {
  const int hs = C / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const int ld = 3 * C;
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < heads; ++h) {
      const float* q = qkv + static_cast<size_t>(b) * T * ld + h * hs;
      const float* k = q + C;
      const float* v = q + 2 * C;
      float* a = att + (static_cast<size_t>(b) * heads + h) * T * T;
      // a[T×T] = scale · Q[T×hs] · Kᵀ (the upper triangle is computed, then masked).
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, scale, q, ld, k, ld, 0.0f, a, T);
      for (int t = 0; t < T; ++t) {
        float* row = a + static_cast<size_t>(t) * T;
        float mx = row[0];
        for (int t2 = 1; t2 <= t; ++t2) mx = std::max(mx, row[t2]);
        float sum = 0;
        for (int t2 = 0; t2 <= t; ++t2) {
          row[t2] = std::exp(row[t2] - mx);
          sum += row[t2];
        }
        float inv = 1.0f / sum;
        for (int t2 = 0; t2 <= t; ++t2) row[t2] *= inv;
        for (int t2 = t + 1; t2 < T; ++t2) row[t2] = 0.0f;
      }
      // out[T×hs] = P · V
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, a, T, v, ld, 0.0f,
                  out + static_cast<size_t>(b) * T * C + h * hs, C);
    }
}

void attention_backward(const float* dout, const float* qkv, const float* att, float* dqkv, int B, int T, int C, int heads) {
  const int hs = C / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const int ld = 3 * C;
  std::fill(dqkv, dqkv + static_cast<size_t>(B) * T * ld, 0.0f);
  std::vector<float> dp(static_cast<size_t>(T) * T);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < heads; ++h) {
      const float* q = qkv + static_cast<size_t>(b) * T * ld + h * hs;
      const float* k = q + C;
      const float* v = q + 2 * C;
      float* dq = dqkv + static_cast<size_t>(b) * T * ld + h * hs;
      float* dk = dq + C;
      float* dv = dq + 2 * C;
      const float* a = att + (static_cast<size_t>(b) * heads + h) * T * T;
      const float* d = dout + static_cast<size_t>(b) * T * C + h * hs;
      // dP = dO · Vᵀ; dV = Pᵀ · dO
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, 1.0f, d, C, v, ld, 0.0f, dp.data(), T);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, a, T, d, C, 0.0f, dv, ld);
      // dS = P ∘ (dP − Σ P∘dP), scaled; zero above the diagonal (P is zero there).
      for (int t = 0; t < T; ++t) {
        const float* pr = a + static_cast<size_t>(t) * T;
        float* dr = dp.data() + static_cast<size_t>(t) * T;
        float dot = 0;
        for (int t2 = 0; t2 <= t; ++t2) dot += pr[t2] * dr[t2];
        for (int t2 = 0; t2 <= t; ++t2) dr[t2] = pr[t2] * (dr[t2] - dot) * scale;
        for (int t2 = t + 1; t2 < T; ++t2) dr[t2] = 0.0f;
      }
      // dQ = dS · K; dK = dSᵀ · Q
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, dp.data(), T, k, ld, 0.0f, dq, ld);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, dp.data(), T, q, ld, 0.0f, dk, ld);
    }
}

double sum_squares(const float* x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

void scale(float* x, size_t n, float s) {
  for (size_t i = 0; i < n; ++i) x[i] *= s;
}

void set_threads(int n) {
  if (n <= 0) return;
  openblas_set_num_threads(n);
  omp_set_num_threads(n);
}

}  // namespace slipway::kernels::fast
