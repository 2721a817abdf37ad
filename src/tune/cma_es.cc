#include "tune/cma_es.h"

#include <algorithm>
#include <cmath>
#include <numeric>

extern "C" {
void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
            double* work, const int* lwork, int* info);
}

namespace slipway::tune {

namespace {

constexpr double kEps = 1e-8;        // the floor of an eigenvalue of C
constexpr double kTolFun = 1e-12;    // tolfun: the loss range of recent generations
constexpr double kTolXUp = 1e4;      // tolxup: σ·max(D) has exploded
constexpr double kTolCond = 1e14;    // conditioncov: C is numerically degenerate
constexpr int kMaxResampling = 100;  // then a sample is clipped into the cube

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

}  // namespace

CmaEs::CmaEs(std::vector<double> mean, double sigma, int popsize)
    : n_(static_cast<int>(mean.size())), mean_(std::move(mean)), sigma_(sigma), sigma0_(sigma) {
  const double n = n_;
  lambda_ = popsize > 0 ? popsize : 4 + static_cast<int>(std::floor(3 * std::log(n)));
  lambda_ = std::max(lambda_, 2);
  mu_ = lambda_ / 2;
  std::vector<double> wp(static_cast<size_t>(lambda_));
  for (int i = 0; i < lambda_; ++i) wp[i] = std::log((lambda_ + 1) / 2.0) - std::log(i + 1.0);
  auto sum = [](auto b, auto e) { return std::accumulate(b, e, 0.0); };
  auto sum_sq = [](auto b, auto e) {
    return std::accumulate(b, e, 0.0, [](double s, double x) { return s + x * x; });
  };
  const double pos = sum(wp.begin(), wp.begin() + mu_);
  mu_eff_ = pos * pos / sum_sq(wp.begin(), wp.begin() + mu_);
  const double neg_sum = sum(wp.begin() + mu_, wp.end());
  const double neg_sq = sum_sq(wp.begin() + mu_, wp.end());
  const double mu_eff_minus = neg_sq > 0 ? neg_sum * neg_sum / neg_sq : 0;
  const double alpha_cov = 2;
  c1_ = alpha_cov / ((n + 1.3) * (n + 1.3) + mu_eff_);
  cmu_ = std::min(1 - c1_ - 1e-8, alpha_cov * (mu_eff_ - 2 + 1 / mu_eff_) /
                                      ((n + 2) * (n + 2) + alpha_cov * mu_eff_ / 2));
  const double min_alpha = std::min(
      {1 + c1_ / cmu_, 1 + 2 * mu_eff_minus / (mu_eff_ + 2), (1 - c1_ - cmu_) / (n * cmu_)});
  double positive_sum = 0, negative_sum = 0;
  for (double x : wp) (x > 0 ? positive_sum : negative_sum) += std::abs(x);
  w_.resize(wp.size());
  for (size_t i = 0; i < wp.size(); ++i)
    w_[i] = wp[i] >= 0 ? wp[i] / positive_sum : min_alpha * wp[i] / negative_sum;
  c_sigma_ = (mu_eff_ + 2) / (n + mu_eff_ + 5);
  d_sigma_ = 1 + 2 * std::max(0.0, std::sqrt((mu_eff_ - 1) / (n + 1)) - 1) + c_sigma_;
  cc_ = (4 + mu_eff_ / n) / (n + 4 + 2 * mu_eff_ / n);
  chi_n_ = std::sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
  c_.assign(static_cast<size_t>(n_ * n_), 0.0);
  for (int i = 0; i < n_; ++i) c_[i * n_ + i] = 1;
  p_sigma_.assign(static_cast<size_t>(n_), 0.0);
  p_c_.assign(static_cast<size_t>(n_), 0.0);
  decompose();
}

void CmaEs::decompose() {
  const size_t n = static_cast<size_t>(n_);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j)
      c_[i * n + j] = c_[j * n + i] = (c_[i * n + j] + c_[j * n + i]) / 2;
  b_ = c_;  // symmetric: row- or column-major is the same matrix
  std::vector<double> eig(n);
  int lwork = std::max(1, 3 * n_ - 1), info = 0;
  std::vector<double> work(static_cast<size_t>(lwork));
  dsyev_("V", "U", &n_, b_.data(), &n_, eig.data(), work.data(), &lwork, &info);
  if (info != 0) {  // cannot happen for a finite symmetric matrix; start the shape over
    b_.assign(n * n, 0.0);
    for (size_t i = 0; i < n; ++i) b_[i * n + i] = 1, eig[i] = 1;
  }
  // LAPACK returns eigenvectors as columns of a column-major matrix: b_[k * n + i] is component i
  // of eigenvector k. Rebuild C from the floored eigenvalues, as the tutorial's implementations do.
  d_.resize(n);
  for (size_t k = 0; k < n; ++k) d_[k] = std::sqrt(std::max(eig[k], kEps));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      double s = 0;
      for (size_t k = 0; k < n; ++k) s += b_[k * n + i] * d_[k] * d_[k] * b_[k * n + j];
      c_[i * n + j] = s;
    }
}

std::vector<double> CmaEs::ask(std::mt19937_64& rng) const {
  const size_t n = static_cast<size_t>(n_);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> x(n);
  for (int attempt = 0; attempt < kMaxResampling; ++attempt) {
    std::vector<double> z(n);
    for (auto& v : z) v = normal(rng);
    bool inside = true;
    for (size_t i = 0; i < n; ++i) {
      double y = 0;
      for (size_t k = 0; k < n; ++k) y += b_[k * n + i] * d_[k] * z[k];
      x[i] = mean_[i] + sigma_ * y;
      inside = inside && x[i] >= 0 && x[i] <= 1;
    }
    if (inside) return x;
  }
  for (auto& v : x) v = std::clamp(v, 0.0, 1.0);
  return x;
}

void CmaEs::tell(std::vector<std::pair<std::vector<double>, double>> solutions) {
  const size_t n = static_cast<size_t>(n_);
  std::stable_sort(solutions.begin(), solutions.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  ++generation_;
  const size_t term = 10 + static_cast<size_t>(std::ceil(30.0 * n_ / lambda_));
  fun_history_.push_back(solutions.front().second);
  fun_history_.push_back(solutions.back().second);
  if (fun_history_.size() > 2 * term)
    fun_history_.erase(fun_history_.begin(), fun_history_.begin() + 2);

  // C^(-1/2) y = B diag(1/D) Bᵀ y.
  auto inv_sqrt_c = [&](const std::vector<double>& y) {
    std::vector<double> t(n), out(n, 0.0);
    for (size_t k = 0; k < n; ++k) {
      double s = 0;
      for (size_t i = 0; i < n; ++i) s += b_[k * n + i] * y[i];
      t[k] = s / d_[k];
    }
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < n; ++k) out[i] += b_[k * n + i] * t[k];
    return out;
  };
  std::vector<std::vector<double>> y(solutions.size(), std::vector<double>(n));
  for (size_t s = 0; s < solutions.size(); ++s)
    for (size_t i = 0; i < n; ++i) y[s][i] = (solutions[s].first[i] - mean_[i]) / sigma_;
  std::vector<double> y_w(n, 0.0);
  for (int s = 0; s < mu_; ++s)
    for (size_t i = 0; i < n; ++i) y_w[i] += w_[s] * y[s][i];
  for (size_t i = 0; i < n; ++i) mean_[i] += sigma_ * y_w[i];

  const std::vector<double> c_y_w = inv_sqrt_c(y_w);
  const double ps_gain = std::sqrt(c_sigma_ * (2 - c_sigma_) * mu_eff_);
  for (size_t i = 0; i < n; ++i) p_sigma_[i] = (1 - c_sigma_) * p_sigma_[i] + ps_gain * c_y_w[i];
  const double norm_ps = std::sqrt(dot(p_sigma_, p_sigma_));
  sigma_ *= std::exp((c_sigma_ / d_sigma_) * (norm_ps / chi_n_ - 1));
  sigma_ = std::min(sigma_, 1e32);

  const double h_left = norm_ps / std::sqrt(1 - std::pow(1 - c_sigma_, 2.0 * (generation_ + 1)));
  const double h_sigma = h_left < (1.4 + 2.0 / (n_ + 1)) * chi_n_ ? 1.0 : 0.0;
  const double pc_gain = h_sigma * std::sqrt(cc_ * (2 - cc_) * mu_eff_);
  for (size_t i = 0; i < n; ++i) p_c_[i] = (1 - cc_) * p_c_[i] + pc_gain * y_w[i];

  // Negative weights are rescaled so their rank-μ term keeps C positive definite.
  std::vector<double> w_o(w_);
  for (size_t s = 0; s < w_o.size(); ++s)
    if (w_o[s] < 0) {
      std::vector<double> cy = inv_sqrt_c(y[s]);
      w_o[s] *= n_ / (dot(cy, cy) + kEps);
    }
  const double delta_h = (1 - h_sigma) * cc_ * (2 - cc_);
  const double w_sum = std::accumulate(w_.begin(), w_.end(), 0.0);
  const double keep = 1 + c1_ * delta_h - c1_ - cmu_ * w_sum;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      double rank_mu = 0;
      for (size_t s = 0; s < y.size(); ++s) rank_mu += w_o[s] * y[s][i] * y[s][j];
      c_[i * n + j] = keep * c_[i * n + j] + c1_ * p_c_[i] * p_c_[j] + cmu_ * rank_mu;
    }
  decompose();
}

bool CmaEs::should_stop() const {
  const size_t n = static_cast<size_t>(n_);
  const size_t term = 10 + static_cast<size_t>(std::ceil(30.0 * n_ / lambda_));
  if (static_cast<size_t>(generation_) > term && !fun_history_.empty()) {
    auto [lo, hi] = std::minmax_element(fun_history_.begin(), fun_history_.end());
    if (*hi - *lo < kTolFun) return true;
  }
  const double tol_x = 1e-12 * sigma0_;
  bool tiny = true;
  for (size_t i = 0; i < n; ++i)
    tiny = tiny && sigma_ * c_[i * n + i] < tol_x && sigma_ * p_c_[i] < tol_x;
  if (tiny) return true;
  const double d_max = *std::max_element(d_.begin(), d_.end());
  const double d_min = *std::min_element(d_.begin(), d_.end());
  if (sigma_ * d_max > kTolXUp) return true;
  // A step along one principal axis, or one coordinate, no longer moves the mean.
  const size_t axis = static_cast<size_t>(generation_) % n;
  bool axis_moves = false;
  for (size_t i = 0; i < n; ++i)
    axis_moves = axis_moves || mean_[i] != mean_[i] + 0.1 * sigma_ * d_[axis] * b_[axis * n + i];
  if (!axis_moves) return true;
  for (size_t i = 0; i < n; ++i)
    if (mean_[i] == mean_[i] + 0.2 * sigma_ * std::sqrt(c_[i * n + i])) return true;
  return (d_max * d_max) / (d_min * d_min) > kTolCond;
}

}  // namespace slipway::tune
