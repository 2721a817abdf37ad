#include "tune/gaussian_process.h"

#include <nlopt.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dpotri_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dtrsv_(const char* uplo, const char* trans, const char* diag, const int* n, const double* a,
            const int* lda, double* x, const int* incx);
void dtrsm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m,
            const int* n, const double* alpha, const double* a, const int* lda, double* b,
            const int* ldb);
}

namespace slipway::tune {

namespace {

constexpr double kSqrt5 = 2.23606797749979;
constexpr double kLog2Pi = 1.8378770664093453;
constexpr double kJitter = 1e-9;

// Bounds on θ. The signal variance is fixed at 1, the variance of the standardized losses, as in
// BoTorch's default model (no output scale; a learned one did no better over 20 seeds). Length
// scales run from 0.025 of the cube (BoTorch's floor) to 1000 (a dimension that does not matter);
// the noise variance from 1e-6 (noise-free objectives interpolate) to 0.5.
constexpr double kLogSignalLo = 0.0, kLogSignalHi = 0.0;
constexpr double kLogLengthLo = -3.6888794541139363, kLogLengthHi = 6.907755278982137;
constexpr double kLogNoiseLo = -13.815510557964274, kLogNoiseHi = -0.6931471805599453;

// The priors, as densities of the values (not of their logs): length scale ~
// LogNormal(√2 + ½ ln d, √3), BoTorch's; noise variance ~ LogNormal(−4, 2²), centred where
// BoTorch's is but twice as wide, so a noise-free objective can fit the small noise that lets the
// model resolve its last digits (on Branin, a quarter of the regret at 50 evaluations).
constexpr double kNoisePriorLoc = -4.0, kNoisePriorVar = 4.0;
double length_prior_loc(int d) { return std::sqrt(2.0) + 0.5 * std::log(static_cast<double>(d)); }
constexpr double kLengthPriorVar = 3.0;

void solve_lower(const std::vector<double>& L, int n, double* b) {
  const int one = 1;
  dtrsv_("L", "N", "N", &n, L.data(), &n, b, &one);
}
void solve_lower_t(const std::vector<double>& L, int n, double* b) {  // Lᵀ x = b
  const int one = 1;
  dtrsv_("L", "T", "N", &n, L.data(), &n, b, &one);
}

}  // namespace

GaussianProcess::GaussianProcess(std::vector<bool> categorical)
    : d_(static_cast<int>(categorical.size())), categorical_(std::move(categorical)) {
  set_theta(prior_mode());  // no data yet: nothing to factor
}

std::vector<double> GaussianProcess::prior_mode() const {
  std::vector<double> t(static_cast<size_t>(d_) + 2);
  t[0] = 0.0;
  // The mode of LogNormal(μ, σ²) is exp(μ − σ²).
  for (int i = 0; i < d_; ++i)
    t[static_cast<size_t>(1 + i)] =
        std::clamp(length_prior_loc(d_) - kLengthPriorVar, kLogLengthLo, kLogLengthHi);
  t.back() = kNoisePriorLoc - kNoisePriorVar;
  return t;
}

bool GaussianProcess::set_data(std::vector<double> x, std::vector<double> y) {
  X_ = std::move(x);
  y_ = std::move(y);
  return factor();
}

bool GaussianProcess::add(const std::vector<double>& x, double y) {
  auto saved = std::make_tuple(K_, L_, alpha_, mean_);
  X_.insert(X_.end(), x.begin(), x.end());
  y_.push_back(y);
  if (factor()) return true;
  X_.resize(X_.size() - x.size());
  y_.pop_back();
  std::tie(K_, L_, alpha_, mean_) = std::move(saved);
  return false;
}

void GaussianProcess::set_theta(const std::vector<double>& theta) {
  theta_ = theta;
  sf2_ = std::exp(theta_[0]);
  sn2_ = std::exp(theta_.back());
  inv_ls_.resize(static_cast<size_t>(d_));
  for (int i = 0; i < d_; ++i) inv_ls_[static_cast<size_t>(i)] = std::exp(-theta_[1 + i]);
}

bool GaussianProcess::set_hyperparameters(const std::vector<double>& theta) {
  set_theta(theta);
  return factor();
}

bool GaussianProcess::factor() {
  const int n = size();
  K_.assign(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) {
      const double k = kernel(&X_[static_cast<size_t>(i) * d_], &X_[static_cast<size_t>(j) * d_]);
      K_[static_cast<size_t>(j) * n + i] = K_[static_cast<size_t>(i) * n + j] = k;
    }
  // Two trials at one point make K singular up to the noise; more jitter, a step at a time, until
  // the factorization holds (the noise variance is at least 1e-6, so this is rare).
  int info = 0;
  for (double jitter = kJitter; jitter <= 1e-3; jitter *= 100) {
    L_ = K_;
    for (int i = 0; i < n; ++i) L_[static_cast<size_t>(i) * n + i] += sn2_ + jitter;
    info = 0;
    if (n > 0) dpotrf_("L", &n, L_.data(), &n, &info);
    if (info == 0) break;
  }
  if (info != 0) return false;  // not finite data, or no θ gives a positive definite K
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < j; ++i) L_[static_cast<size_t>(j) * n + i] = 0.0;  // dpotrf's upper half
  alpha_ = y_;
  mean_ = 0;
  if (n > 0) {
    solve_lower(L_, n, alpha_.data());
    solve_lower_t(L_, n, alpha_.data());
    // The constant mean at its generalized-least-squares value m = 1ᵀK⁻¹y / 1ᵀK⁻¹1, so
    // α = K⁻¹(y − m).
    std::vector<double> ones(static_cast<size_t>(n), 1.0);
    solve_lower(L_, n, ones.data());
    solve_lower_t(L_, n, ones.data());
    const double denom = std::accumulate(ones.begin(), ones.end(), 0.0);
    mean_ = std::accumulate(alpha_.begin(), alpha_.end(), 0.0) / denom;
    for (int i = 0; i < n; ++i)
      alpha_[static_cast<size_t>(i)] -= mean_ * ones[static_cast<size_t>(i)];
  }
  return true;
}

double GaussianProcess::kernel_with_gradient(const double* a, const double* b, double* grad) const {
  double r2 = 0, cat = 0;
  for (int q = 0; q < d_; ++q) {
    const double il = inv_ls_[static_cast<size_t>(q)];
    if (categorical_[static_cast<size_t>(q)]) {
      if (a[q] != b[q]) cat += il;
    } else {
      const double z = (a[q] - b[q]) * il;
      r2 += z * z;
    }
  }
  const double r = std::sqrt(r2);
  const double e = std::exp(-kSqrt5 * r - cat);
  if (grad) {
    // ∂k/∂aq = −5/3 σ² (1 + √5 r) e^(−√5 r) (aq − bq)/ℓq², finite at r = 0.
    const double base = -5.0 / 3.0 * sf2_ * (1 + kSqrt5 * r) * e;
    for (int q = 0; q < d_; ++q) {
      const double il = inv_ls_[static_cast<size_t>(q)];
      grad[q] = categorical_[static_cast<size_t>(q)] ? 0.0 : base * (a[q] - b[q]) * il * il;
    }
  }
  return sf2_ * (1 + kSqrt5 * r + 5.0 / 3.0 * r2) * e;
}

void GaussianProcess::solve(double* k) const {
  const int n = size();
  if (n == 0) return;
  solve_lower(L_, n, k);
  solve_lower_t(L_, n, k);
}

void GaussianProcess::predict(const double* x, double* mu, double* var, double* dmu, double* dvar,
                              std::vector<double>* k_out, std::vector<double>* dk_out) const {
  const int n = size();
  std::vector<double> k(static_cast<size_t>(n)), dk;
  if (dmu) dk.resize(static_cast<size_t>(n) * d_);
  for (int i = 0; i < n; ++i)
    k[static_cast<size_t>(i)] = kernel_with_gradient(
        x, &X_[static_cast<size_t>(i) * d_], dmu ? &dk[static_cast<size_t>(i) * d_] : nullptr);
  *mu = mean_ + std::inner_product(k.begin(), k.end(), alpha_.begin(), 0.0);
  std::vector<double> w = k;
  if (n > 0) solve_lower(L_, n, w.data());
  *var = std::max(1e-12, sf2_ - std::inner_product(w.begin(), w.end(), w.begin(), 0.0));
  if (dmu) {
    // ∂μ/∂x = Σᵢ αᵢ ∂kᵢ/∂x; ∂σ²/∂x = −2 Σᵢ (K⁻¹k)ᵢ ∂kᵢ/∂x, with (K⁻¹k) = L⁻ᵀ(L⁻¹k).
    if (n > 0) solve_lower_t(L_, n, w.data());
    std::fill(dmu, dmu + d_, 0.0);
    std::fill(dvar, dvar + d_, 0.0);
    for (int i = 0; i < n; ++i) {
      const double a = alpha_[static_cast<size_t>(i)], v = w[static_cast<size_t>(i)];
      const double* g = &dk[static_cast<size_t>(i) * d_];
      for (int q = 0; q < d_; ++q) {
        dmu[q] += a * g[q];
        dvar[q] += -2 * v * g[q];
      }
    }
  }
  if (k_out) *k_out = std::move(k);
  if (dk_out) *dk_out = std::move(dk);
}

void GaussianProcess::predict_many(const std::vector<double>& x, std::vector<double>* mu,
                                   std::vector<double>* var, std::vector<double>* kstar) const {
  const int n = size(), m = static_cast<int>(x.size() / static_cast<size_t>(d_));
  std::vector<double> B(static_cast<size_t>(n) * m);  // n×m column-major: column j = k(xⱼ, X)
  mu->assign(static_cast<size_t>(m), 0.0);
  var->assign(static_cast<size_t>(m), sf2_);
  for (int j = 0; j < m; ++j) {
    double s = mean_;
    for (int i = 0; i < n; ++i) {
      const double k = kernel(&x[static_cast<size_t>(j) * d_], &X_[static_cast<size_t>(i) * d_]);
      B[static_cast<size_t>(j) * n + i] = k;
      s += k * alpha_[static_cast<size_t>(i)];
    }
    (*mu)[static_cast<size_t>(j)] = s;
  }
  if (kstar) *kstar = B;
  if (n == 0 || m == 0) return;
  const double one = 1.0;
  dtrsm_("L", "L", "N", "N", &n, &m, &one, L_.data(), &n, B.data(), &n);
  for (int j = 0; j < m; ++j) {
    const double* c = &B[static_cast<size_t>(j) * n];
    (*var)[static_cast<size_t>(j)] = std::max(1e-12, sf2_ - std::inner_product(c, c + n, c, 0.0));
  }
}

std::vector<double> GaussianProcess::means_at_inputs() const {
  const int n = size();
  std::vector<double> mu(static_cast<size_t>(n), mean_);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      mu[static_cast<size_t>(i)] +=
          K_[static_cast<size_t>(j) * n + i] * alpha_[static_cast<size_t>(j)];
  return mu;
}

double GaussianProcess::log_posterior(std::vector<double>* grad) const {
  const int n = size();
  double v = -0.5 * n * kLog2Pi;
  for (int i = 0; i < n; ++i)
    v -= 0.5 * (y_[static_cast<size_t>(i)] - mean_) * alpha_[static_cast<size_t>(i)];
  for (int i = 0; i < n; ++i) v -= std::log(L_[static_cast<size_t>(i) * n + i]);
  // The priors, with their gradient in log space (the −log term is the density's 1/x).
  const double mu = length_prior_loc(d_);
  for (int q = 0; q < d_; ++q) {
    const double t = theta_[static_cast<size_t>(1 + q)];
    v += -t - (t - mu) * (t - mu) / (2 * kLengthPriorVar);
  }
  const double u = theta_.back();
  v += -u - (u - kNoisePriorLoc) * (u - kNoisePriorLoc) / (2 * kNoisePriorVar);
  if (!grad) return v;
  grad->assign(theta_.size(), 0.0);
  for (int q = 0; q < d_; ++q)
    (*grad)[static_cast<size_t>(1 + q)] =
        -1 - (theta_[static_cast<size_t>(1 + q)] - mu) / kLengthPriorVar;
  grad->back() = -1 - (u - kNoisePriorLoc) / kNoisePriorVar;
  if (n == 0) return v;
  // ∂LML/∂θ = ½ tr(W ∂K/∂θ) with W = ααᵀ − K⁻¹.
  std::vector<double> Kinv = L_;
  int info = 0;
  dpotri_("L", &n, Kinv.data(), &n, &info);
  // dpotri fails only on a zero on L's diagonal, which a successful dpotrf does not leave; were
  // it to, the prior's gradient alone still points the fit somewhere sensible.
  if (info != 0) return v;
  std::vector<double> dls(static_cast<size_t>(d_));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) {
      const double kinv = Kinv[static_cast<size_t>(j) * n + i];  // dpotri fills the lower half
      const double w = alpha_[static_cast<size_t>(i)] * alpha_[static_cast<size_t>(j)] - kinv;
      const double mult = i == j ? 0.5 : 1.0;  // the symmetric pairs off the diagonal count twice
      const double k = K_[static_cast<size_t>(j) * n + i];
      (*grad)[0] += mult * w * k;
      if (i == j) {
        grad->back() += mult * w * sn2_;
        continue;
      }
      const double* a = &X_[static_cast<size_t>(i) * d_];
      const double* b = &X_[static_cast<size_t>(j) * d_];
      double r2 = 0, cat = 0;
      for (int q = 0; q < d_; ++q) {
        const double il = inv_ls_[static_cast<size_t>(q)];
        if (categorical_[static_cast<size_t>(q)]) {
          dls[static_cast<size_t>(q)] = a[q] != b[q] ? il : 0.0;  // ∂(−1/ℓ)/∂log ℓ = 1/ℓ
          if (a[q] != b[q]) cat += il;
        } else {
          const double z = (a[q] - b[q]) * il;
          dls[static_cast<size_t>(q)] = z * z;
          r2 += z * z;
        }
      }
      const double r = std::sqrt(r2);
      // ∂k/∂log ℓq = 5/3 σ² (1 + √5 r) e^(−√5 r) zq² for a numeric q; k/ℓq for a differing
      // categorical one.
      const double common = 5.0 / 3.0 * sf2_ * (1 + kSqrt5 * r) * std::exp(-kSqrt5 * r - cat);
      for (int q = 0; q < d_; ++q)
        (*grad)[static_cast<size_t>(1 + q)] += mult * w *
                                               (categorical_[static_cast<size_t>(q)] ? k : common) *
                                               dls[static_cast<size_t>(q)];
    }
  return v;
}

namespace {

struct FitState {
  GaussianProcess* gp;
  double best = -HUGE_VAL;
  std::vector<double> best_theta;
};

double fit_objective(unsigned n, const double* t, double* g, void* data) {
  auto* s = static_cast<FitState*>(data);
  std::vector<double> theta(t, t + n), grad;
  if (!s->gp->set_hyperparameters(theta)) {
    if (g) std::fill(g, g + n, 0.0);
    return -1e300;  // not positive definite: the line search backs off
  }
  const double v = s->gp->log_posterior(g ? &grad : nullptr);
  if (g) std::copy(grad.begin(), grad.end(), g);
  if (v > s->best) s->best = v, s->best_theta = theta;
  return v;
}

}  // namespace

bool GaussianProcess::fit(const std::vector<std::vector<double>>& starts, int max_evaluations) {
  const unsigned n = static_cast<unsigned>(d_) + 2;
  std::vector<double> lo(n, kLogLengthLo), hi(n, kLogLengthHi);
  lo[0] = kLogSignalLo, hi[0] = kLogSignalHi;
  lo.back() = kLogNoiseLo, hi.back() = kLogNoiseHi;
  FitState state{this, -HUGE_VAL, {}};
  for (const auto& start : starts) {
    std::vector<double> x = start;
    for (unsigned i = 0; i < n; ++i) x[i] = std::clamp(x[i], lo[i], hi[i]);
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, n);
    nlopt_set_lower_bounds(opt, lo.data());
    nlopt_set_upper_bounds(opt, hi.data());
    nlopt_set_max_objective(opt, fit_objective, &state);
    nlopt_set_maxeval(opt, max_evaluations);
    nlopt_set_ftol_rel(opt, 1e-7);
    double value = 0;
    // A failure code (rounding limits, say) still leaves the best point seen in `state`.
    (void)nlopt_optimize(opt, x.data(), &value);
    nlopt_destroy(opt);
  }
  if (state.best_theta.empty()) return false;
  return set_hyperparameters(state.best_theta);
}

}  // namespace slipway::tune
