#include "fast_ops.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

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

double sum_squares(const float* x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

void scale(float* x, size_t n, float s) {
  for (size_t i = 0; i < n; ++i) x[i] *= s;
}

void set_threads(int n) {
  if (n > 0) openblas_set_num_threads(n);
}

}  // namespace slipway::kernels::fast
