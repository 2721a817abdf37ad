#include "kernels/cpu/fast_ops.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/reference_ops.h"

// The elementwise loops are SLIPWAY_VECTOR_CLONES: 4–8× on GELU, LayerNorm and AdamW where the
// CPU has AVX2.
#include "core/vector_clones.h"

namespace slipway::kernels::fast {

void linear_forward(const float* x, const float* w, const float* b, float* y, int rows, int in,
                    int out) {
  // y[rows×out] = x[rows×in] · w[out×in]ᵀ, after y = b broadcast.
  for (int r = 0; r < rows; ++r) {
    float* yr = y + static_cast<size_t>(r) * out;
    if (b)
      std::copy(b, b + out, yr);
    else
      std::fill(yr, yr + out, 0.0f);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x, in, w, in, 1.0f, y,
              out);
}

void linear_backward(const float* dy, const float* x, const float* w, float* dx, float* dw,
                     float* db, int rows, int in, int out) {
  // dx[rows×in] = dy[rows×out] · w[out×in]
  if (dx)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, out, 1.0f, dy, out, w, in,
                0.0f, dx, in);
  // dw[out×in] += dyᵀ[out×rows] · x[rows×in]
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, rows, 1.0f, dy, out, x, in, 1.0f,
              dw, in);
  if (db)
    for (int r = 0; r < rows; ++r) {
      const float* d = dy + static_cast<size_t>(r) * out;
      for (int o = 0; o < out; ++o) db[o] += d[o];
    }
}

SLIPWAY_VECTOR_CLONES void relu_forward(const float* x, float* y, size_t n) {
#pragma omp parallel for if (n > 65536)
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

SLIPWAY_VECTOR_CLONES void relu_backward(const float* dy, const float* x, float* dx, size_t n) {
#pragma omp parallel for if (n > 65536)
  for (size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

float softmax_xent(const float* logits, const std::int32_t* labels, float* dlogits, int rows,
                   int classes, float grad_scale) {
  return ref::softmax_xent<float>(logits, labels, dlogits, rows, classes, grad_scale);
}

SLIPWAY_VECTOR_CLONES void adamw(float* p, const float* g, float* m, float* v, size_t n, float lr,
                                 float beta1, float beta2, float eps, float weight_decay,
                                 std::int64_t step, const std::uint8_t* decay_mask) {
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

SLIPWAY_VECTOR_CLONES void gelu_forward(const float* x, float* y, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) {
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + fast_tanh(kGeluC * (v + 0.044715f * v * v * v)));
  }
}

SLIPWAY_VECTOR_CLONES void gelu_backward(const float* dy, const float* x, float* dx, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) {
    float v = x[i];
    float t = fast_tanh(kGeluC * (v + 0.044715f * v * v * v));
    float du = kGeluC * (1.0f + 3.0f * 0.044715f * v * v);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
  }
}

namespace {
// Causal attention works on blocks of query rows: the rows of block [r0, r1) attend to keys [0, r1)
// only, so the products skip most of the masked upper triangle (all of it but the diagonal blocks).
constexpr int kQueryBlock = 64;

// Row t of a causal score matrix: softmax over [0, t], zeros after (the saved P must be exact
// zeros above the diagonal: the backward pass and the reference read it whole).
SLIPWAY_VECTOR_CLONES void causal_softmax_row(float* row, int t, int width) {
  float mx = row[0];
#pragma omp simd reduction(max : mx)
  for (int j = 1; j <= t; ++j) mx = std::max(mx, row[j]);
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j <= t; ++j) {
    row[j] = exp_approx(row[j] - mx);
    sum += row[j];
  }
  const float inv = 1.0f / sum;
  for (int j = 0; j <= t; ++j) row[j] *= inv;
  std::fill(row + t + 1, row + width, 0.0f);
}

// dS = P ∘ (dP − Σ P∘dP) · scale over [0, t]; zeros after.
SLIPWAY_VECTOR_CLONES void causal_softmax_backward_row(const float* p, float* d, int t, int width,
                                                       float scale) {
  float dot = 0;
#pragma omp simd reduction(+ : dot)
  for (int j = 0; j <= t; ++j) dot += p[j] * d[j];
  for (int j = 0; j <= t; ++j) d[j] = p[j] * (d[j] - dot) * scale;
  std::fill(d + t + 1, d + width, 0.0f);
}
}  // namespace

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
      float* o = out + static_cast<size_t>(b) * T * C + h * hs;
      for (int r0 = 0; r0 < T; r0 += kQueryBlock) {
        const int r1 = std::min(T, r0 + kQueryBlock), rows = r1 - r0;
        float* ar = a + static_cast<size_t>(r0) * T;
        // S[r0:r1, 0:r1] = scale · Q[r0:r1] · K[0:r1]ᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, r1, hs, scale,
                    q + static_cast<size_t>(r0) * ld, ld, k, ld, 0.0f, ar, T);
        for (int t = r0; t < r1; ++t) causal_softmax_row(a + static_cast<size_t>(t) * T, t, T);
        // O[r0:r1] = P[r0:r1, 0:r1] · V[0:r1]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, hs, r1, 1.0f, ar, T, v, ld,
                    0.0f, o + static_cast<size_t>(r0) * C, C);
      }
    }
}

void attention_backward(const float* dout, const float* qkv, const float* att, float* dqkv, int B,
                        int T, int C, int heads) {
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
      for (int r0 = 0; r0 < T; r0 += kQueryBlock) {
        const int r1 = std::min(T, r0 + kQueryBlock), rows = r1 - r0;
        const float* ar = a + static_cast<size_t>(r0) * T;
        const float* dr = d + static_cast<size_t>(r0) * C;
        float* dpr = dp.data() + static_cast<size_t>(r0) * T;
        // dP = dO · Vᵀ; dV[0:r1] += Pᵀ · dO
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, r1, hs, 1.0f, dr, C, v, ld, 0.0f,
                    dpr, T);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1, hs, rows, 1.0f, ar, T, dr, C, 1.0f,
                    dv, ld);
        for (int t = r0; t < r1; ++t)
          causal_softmax_backward_row(a + static_cast<size_t>(t) * T,
                                      dp.data() + static_cast<size_t>(t) * T, t, T, scale);
        // dQ[r0:r1] = dS · K[0:r1]; dK[0:r1] += dSᵀ · Q[r0:r1]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, hs, r1, 1.0f, dpr, T, k, ld,
                    0.0f, dq + static_cast<size_t>(r0) * ld, ld);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1, hs, rows, 1.0f, dpr, T,
                    q + static_cast<size_t>(r0) * ld, ld, 1.0f, dk, ld);
      }
    }
}

SLIPWAY_VECTOR_CLONES void layernorm_forward(const float* x, const float* w, const float* b,
                                             float* y, float* mean, float* rstd, int rows, int C) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * C;
    float* yr = y + static_cast<size_t>(r) * C;
    float m = 0;
#pragma omp simd reduction(+ : m)
    for (int i = 0; i < C; ++i) m += xr[i];
    m /= static_cast<float>(C);
    float v = 0;
#pragma omp simd reduction(+ : v)
    for (int i = 0; i < C; ++i) v += (xr[i] - m) * (xr[i] - m);
    v /= static_cast<float>(C);
    const float s = 1.0f / std::sqrt(v + 1e-5f);
#pragma omp simd
    for (int i = 0; i < C; ++i) yr[i] = (xr[i] - m) * s * w[i] + b[i];
    mean[r] = m;
    rstd[r] = s;
  }
}

SLIPWAY_VECTOR_CLONES void layernorm_backward(const float* dy, const float* x, const float* w,
                                              const float* mean, const float* rstd, float* dx,
                                              float* dw, float* db, int rows, int C) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * C;
    const float* dyr = dy + static_cast<size_t>(r) * C;
    float* dxr = dx + static_cast<size_t>(r) * C;
    const float m = mean[r], s = rstd[r];
    float dnorm_mean = 0, dnorm_norm_mean = 0;
#pragma omp simd reduction(+ : dnorm_mean, dnorm_norm_mean)
    for (int i = 0; i < C; ++i) {
      const float norm = (xr[i] - m) * s;
      const float dnorm = dyr[i] * w[i];
      dnorm_mean += dnorm;
      dnorm_norm_mean += dnorm * norm;
      dw[i] += dyr[i] * norm;
      db[i] += dyr[i];
    }
    dnorm_mean /= static_cast<float>(C);
    dnorm_norm_mean /= static_cast<float>(C);
#pragma omp simd
    for (int i = 0; i < C; ++i)
      dxr[i] = (dyr[i] * w[i] - dnorm_mean - (xr[i] - m) * s * dnorm_norm_mean) * s;
  }
}

SLIPWAY_VECTOR_CLONES void add(const float* a, const float* b, float* y, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

SLIPWAY_VECTOR_CLONES double sum_squares(const float* x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

SLIPWAY_VECTOR_CLONES void scale(float* x, size_t n, float s) {
  for (size_t i = 0; i < n; ++i) x[i] *= s;
}

void set_threads(int n) {
  if (n <= 0) return;
  openblas_set_num_threads(n);
  omp_set_num_threads(n);
}

}  // namespace slipway::kernels::fast
