#include "tune/noisy_ei.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc);
}

namespace slipway::tune {

namespace {

// log(φ(z) + zΦ(z)), stable far into the left tail (where EI underflows but its log does not).
double log_h(double z) {
  if (z > -6) {
    const double phi = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI),
                 Phi = 0.5 * std::erfc(-z / std::sqrt(2.0));
    const double h = phi + z * Phi;
    if (h > 1e-300) return std::log(h);
  }
  // h(z) = φ(z)/z² · (1 − 3/z² + 15/z⁴ − …) for z → −∞.
  const double z2 = z * z;
  return -0.5 * z2 - 0.5 * std::log(2 * M_PI) - std::log(z2) +
         std::log1p(-3.0 / z2 + 15.0 / (z2 * z2));
}

// d log h(z)/dz = Φ(z)/h(z); in the far left tail, the derivative of log_h's series itself, so
// the gradient is exactly that of the value the optimizer sees.
double dlog_h(double z) {
  if (z > -6) {
    const double phi = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI),
                 Phi = 0.5 * std::erfc(-z / std::sqrt(2.0));
    const double h = phi + z * Phi;
    if (h > 1e-300) return Phi / h;
  }
  const double z2 = z * z, z3 = z2 * z;
  return -z - 2 / z + (6 / z3 - 60 / (z3 * z2)) / (1 - 3 / z2 + 15 / (z2 * z2));
}

// Solves R a = c in place for a lower-triangular m×m R (column-major).
void forward(const std::vector<double>& R, int m, double* c) {
  for (int i = 0; i < m; ++i) {
    double s = c[i];
    for (int k = 0; k < i; ++k) s -= R[static_cast<size_t>(k) * m + i] * c[k];
    c[i] = s / R[static_cast<size_t>(i) * m + i];
  }
}

}  // namespace

NoisyExpectedImprovement::NoisyExpectedImprovement(const GaussianProcess& gp, std::uint64_t seed,
                                                   int baseline_size, int samples)
    : gp_(gp), samples_(samples) {
  const int n = gp.size(), d = gp.dims();
  const auto& X = gp.inputs();
  // The baseline: the observations with the lowest posterior means.
  const std::vector<double> mu = gp.means_at_inputs();
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return mu[static_cast<size_t>(a)] < mu[static_cast<size_t>(b)];
  });
  m_ = std::min(baseline_size, n);
  std::vector<double> mu_b(static_cast<size_t>(m_));
  for (int b = 0; b < m_; ++b) {
    const int i = order[static_cast<size_t>(b)];
    B_.insert(B_.end(), X.begin() + static_cast<std::ptrdiff_t>(i) * d,
              X.begin() + static_cast<std::ptrdiff_t>(i + 1) * d);
    mu_b[static_cast<size_t>(b)] = mu[static_cast<size_t>(i)];
  }
  // V = K⁻¹ k(X, B), and the baseline's posterior covariance k(B, B) − k(B, X) K⁻¹ k(X, B).
  std::vector<double> kcols(static_cast<size_t>(n) * m_);
  V_.resize(static_cast<size_t>(n) * m_);
  for (int b = 0; b < m_; ++b) {
    for (int i = 0; i < n; ++i)
      kcols[static_cast<size_t>(b) * n + i] = gp.kernel_with_gradient(
          &B_[static_cast<size_t>(b) * d], &X[static_cast<size_t>(i) * d], nullptr);
    std::copy(kcols.begin() + static_cast<std::ptrdiff_t>(b) * n,
              kcols.begin() + static_cast<std::ptrdiff_t>(b + 1) * n,
              V_.begin() + static_cast<std::ptrdiff_t>(b) * n);
    gp.solve(&V_[static_cast<size_t>(b) * n]);
  }
  std::vector<double> cov(static_cast<size_t>(m_) * m_);
  for (int a = 0; a < m_; ++a)
    for (int b = 0; b <= a; ++b) {
      double c = gp.kernel_with_gradient(&B_[static_cast<size_t>(a) * d],
                                         &B_[static_cast<size_t>(b) * d], nullptr);
      for (int i = 0; i < n; ++i)
        c -= kcols[static_cast<size_t>(a) * n + i] * V_[static_cast<size_t>(b) * n + i];
      cov[static_cast<size_t>(b) * m_ + a] = cov[static_cast<size_t>(a) * m_ + b] = c;
    }
  // The covariance of nearly noise-free observations is nearly singular: add jitter until the
  // factorization succeeds.
  int info = 0;
  for (double jitter = 1e-9; jitter <= 1; jitter *= 10) {
    R_ = cov;
    for (int a = 0; a < m_; ++a) R_[static_cast<size_t>(a) * m_ + a] += jitter;
    info = 0;
    if (m_ > 0) dpotrf_("L", &m_, R_.data(), &m_, &info);
    if (info == 0) break;
  }
  for (int j = 0; j < m_; ++j)
    for (int i = 0; i < j; ++i) R_[static_cast<size_t>(j) * m_ + i] = 0.0;
  if (info != 0) {
    // Not even with jitter (a covariance that is not finite): independent draws, each with its
    // own variance, which still rank the baseline.
    std::fill(R_.begin(), R_.end(), 0.0);
    for (int a = 0; a < m_; ++a)
      R_[static_cast<size_t>(a) * m_ + a] =
          std::sqrt(std::max(cov[static_cast<size_t>(a) * m_ + a], 1e-12));
  }
  // Fixed draws of the baseline's latent losses, and each draw's best.
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Z_.resize(static_cast<size_t>(samples_) * m_);
  for (auto& z : Z_) z = normal(rng);
  best_.assign(static_cast<size_t>(samples_), 0.0);
  for (int s = 0; s < samples_; ++s) {
    double best = INFINITY;
    for (int a = 0; a < m_; ++a) {
      double f = mu_b[static_cast<size_t>(a)];
      for (int b = 0; b <= a; ++b)
        f += R_[static_cast<size_t>(b) * m_ + a] * Z_[static_cast<size_t>(s) * m_ + b];
      best = std::min(best, f);
    }
    best_[static_cast<size_t>(s)] = best;
  }
}

double NoisyExpectedImprovement::log_value(const double* x, double* grad) const {
  const int n = gp_.size(), d = gp_.dims();
  double mu = 0, var = 0;
  std::vector<double> dmu(static_cast<size_t>(d)), dvar(static_cast<size_t>(d)), k, dk;
  gp_.predict(x, &mu, &var, grad ? dmu.data() : nullptr, grad ? dvar.data() : nullptr, &k,
              grad ? &dk : nullptr);
  // Posterior covariance of f(x) with the baseline, c, and a = R⁻¹c: given a draw Z of the
  // baseline, f(x) ~ N(μ + aᵀZ, σ² − aᵀa).
  std::vector<double> a(static_cast<size_t>(m_)), da(grad ? static_cast<size_t>(m_) * d : 0);
  std::vector<double> g(static_cast<size_t>(d));
  for (int b = 0; b < m_; ++b) {
    const double* vb = &V_[static_cast<size_t>(b) * n];
    double c =
        gp_.kernel_with_gradient(x, &B_[static_cast<size_t>(b) * d], grad ? g.data() : nullptr);
    for (int i = 0; i < n; ++i) c -= k[static_cast<size_t>(i)] * vb[i];
    a[static_cast<size_t>(b)] = c;
    if (grad)
      for (int q = 0; q < d; ++q) {
        double dc = g[static_cast<size_t>(q)];
        for (int i = 0; i < n; ++i) dc -= dk[static_cast<size_t>(i) * d + q] * vb[i];
        da[static_cast<size_t>(q) * m_ + b] = dc;  // da stored per dimension: m values each
      }
  }
  forward(R_, m_, a.data());
  if (grad)
    for (int q = 0; q < d; ++q) forward(R_, m_, &da[static_cast<size_t>(q) * m_]);
  const double s2 = var - std::inner_product(a.begin(), a.end(), a.begin(), 0.0);
  const bool floored = s2 < 1e-12;
  const double s = std::sqrt(floored ? 1e-12 : s2);
  std::vector<double> z(static_cast<size_t>(samples_)), lh(static_cast<size_t>(samples_));
  double top = -INFINITY;
  for (int t = 0; t < samples_; ++t) {
    const double* Zt = &Z_[static_cast<size_t>(t) * m_];
    const double shift = std::inner_product(a.begin(), a.end(), Zt, 0.0);
    z[static_cast<size_t>(t)] = (best_[static_cast<size_t>(t)] - mu - shift) / s;
    lh[static_cast<size_t>(t)] = log_h(z[static_cast<size_t>(t)]);
    top = std::max(top, lh[static_cast<size_t>(t)]);
  }
  double sum = 0;
  for (double v : lh) sum += std::exp(v - top);
  const double lse = top + std::log(sum);
  const double value = std::log(s) + lse - std::log(static_cast<double>(samples_));
  if (!grad) return value;
  // ∂ log NEI = ∂s/s + Σₜ pₜ (log h)'(zₜ) ∂zₜ, with ∂zₜ = (−∂μ − ∂aᵀZₜ − zₜ ∂s)/s and pₜ the
  // draws' shares of the sum.
  std::vector<double> zb(static_cast<size_t>(m_), 0.0);  // Σₜ pₜ h'ₜ Zₜ
  double w_sum = 0, wz_sum = 0;                          // Σₜ pₜ h'ₜ, Σₜ pₜ h'ₜ zₜ
  for (int t = 0; t < samples_; ++t) {
    const double p = std::exp(lh[static_cast<size_t>(t)] - lse);
    const double w = p * dlog_h(z[static_cast<size_t>(t)]);
    w_sum += w;
    wz_sum += w * z[static_cast<size_t>(t)];
    const double* Zt = &Z_[static_cast<size_t>(t) * m_];
    for (int b = 0; b < m_; ++b) zb[static_cast<size_t>(b)] += w * Zt[b];
  }
  for (int q = 0; q < d; ++q) {
    const double* daq = &da[static_cast<size_t>(q) * m_];
    double ds = 0;
    if (!floored) {
      double ada = 0;
      for (int b = 0; b < m_; ++b) ada += a[static_cast<size_t>(b)] * daq[b];
      ds = (dvar[static_cast<size_t>(q)] - 2 * ada) / (2 * s);
    }
    double dazb = 0;
    for (int b = 0; b < m_; ++b) dazb += daq[b] * zb[static_cast<size_t>(b)];
    grad[q] = ds / s + (-dmu[static_cast<size_t>(q)] * w_sum - dazb - ds * wz_sum) / s;
  }
  return value;
}

std::vector<double> NoisyExpectedImprovement::log_values(const std::vector<double>& x) const {
  const int n = gp_.size(), d = gp_.dims();
  const int M = static_cast<int>(x.size() / static_cast<size_t>(d));
  std::vector<double> mu, var, kstar;
  gp_.predict_many(x, &mu, &var, &kstar);
  // C = k(B, x) − Vᵀ k(X, x) (m×M, column-major), then A = R⁻¹C.
  std::vector<double> C(static_cast<size_t>(m_) * M);
  for (int j = 0; j < M; ++j)
    for (int b = 0; b < m_; ++b)
      C[static_cast<size_t>(j) * m_ + b] = gp_.kernel_with_gradient(
          &x[static_cast<size_t>(j) * d], &B_[static_cast<size_t>(b) * d], nullptr);
  if (n > 0 && m_ > 0 && M > 0) {
    const double minus_one = -1.0, one = 1.0;
    dgemm_("T", "N", &m_, &M, &n, &minus_one, V_.data(), &n, kstar.data(), &n, &one, C.data(), &m_);
  }
  std::vector<double> out(static_cast<size_t>(M));
  std::vector<double> lh(static_cast<size_t>(samples_));
  for (int j = 0; j < M; ++j) {
    double* a = &C[static_cast<size_t>(j) * m_];
    forward(R_, m_, a);
    double s2 = var[static_cast<size_t>(j)];
    for (int b = 0; b < m_; ++b) s2 -= a[b] * a[b];
    const double s = std::sqrt(std::max(s2, 1e-12));
    double top = -INFINITY;
    for (int t = 0; t < samples_; ++t) {
      const double shift = std::inner_product(a, a + m_, &Z_[static_cast<size_t>(t) * m_], 0.0);
      lh[static_cast<size_t>(t)] =
          log_h((best_[static_cast<size_t>(t)] - mu[static_cast<size_t>(j)] - shift) / s);
      top = std::max(top, lh[static_cast<size_t>(t)]);
    }
    double sum = 0;
    for (double v : lh) sum += std::exp(v - top);
    out[static_cast<size_t>(j)] =
        std::log(s) + top + std::log(sum) - std::log(static_cast<double>(samples_));
  }
  return out;
}

}  // namespace slipway::tune
