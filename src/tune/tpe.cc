// Tree-structured Parzen estimators. Finished trials are split at the γ-quantile of their losses
// (γ(n) = min(⌈0.1·n⌉, 25), Optuna's default) into good and bad; each side becomes a Parzen
// density over the unit cube (a truncated Gaussian per trial plus a wide prior; a categorical
// kernel for categorical parameters); candidates drawn from the good density are ranked by
// log l(x) − log g(x), the expected-improvement criterion. Running trials count as bad (a
// constant liar), so parallel suggestions spread out.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "tune/sampler.h"

namespace slipway {

namespace {

constexpr double kPriorMu = 0.5, kPriorSigma = 1.0, kPriorWeight = 1.0;
constexpr double kInvSqrt2 = 0.7071067811865476, kLogSqrt2Pi = 0.9189385332046728;

double normal_cdf(double z) { return 0.5 * std::erfc(-z * kInvSqrt2); }

// Φ⁻¹(q) by Acklam's rational approximation (relative error 1.15e-9), polished by one Halley step
// on erfc to full double precision.
double normal_quantile(double q) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
  const double low = 0.02425;
  double x;
  if (q < low || q > 1 - low) {
    double t = std::sqrt(-2 * std::log(q < low ? q : 1 - q));
    x = (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) / ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
    if (q > 1 - low) x = -x;
  } else {
    double t = q - 0.5, r = t * t;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * t / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = normal_cdf(x) - q;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

// One side's density: components (observations + the prior) with per-dimension centres and widths.
struct Parzen {
  size_t dims = 0;
  std::vector<double> weight, log_weight;  // [components], normalized
  std::vector<double> mu, sigma, inv_sigma, log_norm;  // [dims × components] (contiguous per dimension): truncated-normal terms
  std::vector<int> category;              // [dims × components]: observed category (−1: prior)
};

class TpeSampler : public Sampler {
 public:
  TpeSampler(const SweepSpec& spec, bool multivariate)
      : space_(spec.space), seed_(spec.seed), multivariate_(multivariate) {
    startup_ = std::stoi(spec.algorithm.setting("n_startup_trials", "10"));
    candidates_ = std::stoi(spec.algorithm.setting("n_ei_candidates", "24"));
    for (const auto& p : space_.params) levels_.push_back(p.kind == ParamKind::kCategorical ? static_cast<int>(p.choices.size()) : 0);
  }

  std::vector<std::vector<double>> suggest(const std::vector<Observation>& history, int n) override {
    if (n == 1) {  // the common case: no copy of the history
      std::mt19937_64 rng(trial_seed(seed_, history.size()));
      return {one(history, rng)};
    }
    std::vector<Observation> h = history;
    std::vector<std::vector<double>> out;
    for (int k = 0; k < n; ++k) {
      std::mt19937_64 rng(trial_seed(seed_, h.size()));
      std::vector<double> p = one(h, rng);
      h.push_back({p, 0.0, false});
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  std::vector<double> one(const std::vector<Observation>& h, std::mt19937_64& rng) {
    std::vector<const Observation*> finished, pending;
    for (const auto& o : h) (o.finished ? finished : pending).push_back(&o);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    if (static_cast<int>(finished.size()) < startup_) {
      std::vector<double> p(space_.dims());
      for (auto& x : p) x = unit(rng);
      return p;
    }
    std::stable_sort(finished.begin(), finished.end(), [](const Observation* a, const Observation* b) { return a->loss < b->loss; });
    const size_t n_good = std::min<size_t>(25, static_cast<size_t>(std::ceil(0.1 * static_cast<double>(finished.size()))));
    std::vector<const Observation*> good(finished.begin(), finished.begin() + static_cast<std::ptrdiff_t>(n_good));
    std::vector<const Observation*> bad(finished.begin() + static_cast<std::ptrdiff_t>(n_good), finished.end());
    bad.insert(bad.end(), pending.begin(), pending.end());
    Parzen l = build(good), g = build(bad);
    std::vector<double> best;
    double best_score = -INFINITY;
    for (int c = 0; c < candidates_; ++c) {
      std::vector<double> x = draw(l, rng);
      double score = log_density(l, x) - log_density(g, x);
      if (score > best_score) {
        best_score = score;
        best = std::move(x);
      }
    }
    return best;
  }

  int category_of(size_t d, double u) const { return std::min(levels_[d] - 1, static_cast<int>(u * levels_[d])); }

  Parzen build(const std::vector<const Observation*>& obs) const {
    Parzen P;
    P.dims = space_.dims();
    const size_t n = obs.size() + 1, D = P.dims;
    P.weight.assign(n, 1.0);
    P.weight.back() = kPriorWeight;
    double total = std::accumulate(P.weight.begin(), P.weight.end(), 0.0);
    for (auto& w : P.weight) w /= total;
    for (double w : P.weight) P.log_weight.push_back(std::log(w));
    P.mu.assign(n * D, kPriorMu);
    P.sigma.assign(n * D, kPriorSigma);
    P.category.assign(n * D, -1);
    for (size_t d = 0; d < D; ++d) {
      if (levels_[d] > 0) {
        for (size_t i = 0; i < obs.size(); ++i) P.category[d * n + i] = category_of(d, obs[i]->u[d]);
        continue;
      }
      for (size_t i = 0; i < obs.size(); ++i) P.mu[d * n + i] = obs[i]->u[d];
      if (multivariate_) {
        // Scott's rule over the whole cube: one width per dimension for every kernel.
        double bw = 0.2 * std::pow(static_cast<double>(n), -1.0 / (static_cast<double>(D) + 4.0));
        for (size_t i = 0; i < obs.size(); ++i) P.sigma[d * n + i] = bw;
      } else {
        // The gap to the neighbouring centres (prior included), clipped to [1/min(100, n), 1].
        std::vector<std::pair<double, size_t>> order;
        for (size_t i = 0; i < n; ++i) order.push_back({P.mu[d * n + i], i});
        std::sort(order.begin(), order.end());
        const double lo = 1.0 / std::min(100.0, static_cast<double>(n)), hi = 1.0;
        for (size_t k = 0; k < order.size(); ++k) {
          double left = order[k].first - (k > 0 ? order[k - 1].first : 0.0);
          double right = (k + 1 < order.size() ? order[k + 1].first : 1.0) - order[k].first;
          size_t i = order[k].second;
          if (i + 1 == n) continue;  // the prior keeps its width
          P.sigma[d * n + i] = std::clamp(std::max(left, right), lo, hi);
        }
      }
    }
    P.log_norm.assign(n * D, 0.0);
    P.inv_sigma.assign(n * D, 1.0);
    for (size_t i = 0; i < n; ++i)
      for (size_t d = 0; d < D; ++d) {
        if (levels_[d] > 0) continue;
        double m = P.mu[d * n + i], s = P.sigma[d * n + i];
        P.inv_sigma[d * n + i] = 1.0 / s;
        // A kernel 8σ inside both ends has all its mass in [0, 1] (to 1e-15): skip the erfc.
        double mass = m > 8 * s && 1 - m > 8 * s ? 1.0 : normal_cdf((1.0 - m) / s) - normal_cdf((0.0 - m) / s);
        P.log_norm[d * n + i] = -std::log(s) - kLogSqrt2Pi - std::log(std::max(mass, 1e-300));
      }
    return P;
  }

  // log of kernel i's density at x along dimension d.
  double log_kernel(const Parzen& P, size_t i, size_t d, double x) const {
    const size_t k = d * P.weight.size() + i;
    if (levels_[d] > 0) {
      int c = category_of(d, x), K = levels_[d];
      double p = P.category[k] < 0 ? 1.0 / K : (c == P.category[k] ? 0.5 : 0.0) + 0.5 / K;
      return std::log(p * K);  // per unit of u: the cell of a category is 1/K wide
    }
    double z = (x - P.mu[k]) * P.inv_sigma[k];
    return P.log_norm[k] - 0.5 * z * z;
  }

  // log Σ e^v. The terms are summed with a polynomial exp that vectorizes (relative error ~1e-12,
  // far below what ranking candidates needs): at 1,000 trials this sum is most of a suggestion.
  static double log_sum_exp(const std::vector<double>& v) {
    double m = *std::max_element(v.begin(), v.end());
    if (!std::isfinite(m)) return m;
    double s = 0;
    const size_t n = v.size();
    const double* p = v.data();
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; ++i) s += exp_nonpositive(p[i] - m);
    return m + std::log(s);
  }

  // e^x for x ≤ 0 (0 below −700): x = k·ln2 + r, |r| ≤ ln2/2, e^r by a degree-11 Taylor polynomial,
  // 2^k through the exponent bits. Plain arithmetic, so loops over it vectorize.
  static double exp_nonpositive(double x) {
    x = x < -700.0 ? -700.0 : x;
    // Adding 1.5·2^52 rounds x·log2(e) to an integer k held in the low bits of the sum.
    const double shifter = 6755399441055744.0;
    const double kd = x * 1.4426950408889634 + shifter;
    const double k = kd - shifter;
    const double r = x - k * 0.6931471805599453;
    double p = 1.0 / 39916800;
    for (double c : {1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0}) p = p * r + c;
    std::int64_t bits;
    std::memcpy(&bits, &kd, sizeof bits);
    bits = (bits + 1023) << 52;  // k + 1023 into the exponent field (the shifter's bits shift out)
    double scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
  }

  double log_density(const Parzen& P, const std::vector<double>& x) const {
    const size_t n = P.weight.size();
    std::vector<double> terms(n);
    if (multivariate_) {
      for (size_t i = 0; i < n; ++i) {
        double t = P.log_weight[i];
        for (size_t d = 0; d < P.dims; ++d) t += log_kernel(P, i, d, x[d]);
        terms[i] = t;
      }
      return log_sum_exp(terms);
    }
    double total = 0;
    for (size_t d = 0; d < P.dims; ++d) {
      if (levels_[d] > 0) {
        for (size_t i = 0; i < n; ++i) terms[i] = P.log_weight[i] + log_kernel(P, i, d, x[d]);
      } else {
        // The numeric kernel inlined over contiguous arrays, so it vectorizes.
        const double xd = x[d];
        for (size_t i = 0; i < n; ++i) {
          const double z = (xd - P.mu[d * n + i]) * P.inv_sigma[d * n + i];
          terms[i] = P.log_weight[i] + P.log_norm[d * n + i] - 0.5 * z * z;
        }
      }
      total += log_sum_exp(terms);
    }
    return total;
  }

  std::vector<double> draw(const Parzen& P, std::mt19937_64& rng) const {
    std::discrete_distribution<size_t> pick(P.weight.begin(), P.weight.end());
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<double> x(P.dims);
    size_t joint = pick(rng);
    for (size_t d = 0; d < P.dims; ++d) {
      size_t i = multivariate_ ? joint : pick(rng);
      const size_t k = d * P.weight.size() + i;
      if (levels_[d] > 0) {
        int K = levels_[d];
        int c = P.category[k] >= 0 && unit(rng) < 0.5 ? P.category[k] : static_cast<int>(unit(rng) * K);
        x[d] = (std::min(c, K - 1) + 0.5) / K;
        continue;
      }
      // A truncated normal by inverse CDF over the mass inside [0, 1).
      double a = normal_cdf((0.0 - P.mu[k]) / P.sigma[k]), b = normal_cdf((1.0 - P.mu[k]) / P.sigma[k]);
      double q = a + unit(rng) * (b - a);
      q = std::clamp(q, 1e-12, 1.0 - 1e-12);
      x[d] = std::clamp(P.mu[k] + P.sigma[k] * normal_quantile(q), 0.0, std::nextafter(1.0, 0.0));
    }
    return x;
  }

  SearchSpace space_;
  std::uint64_t seed_;
  bool multivariate_;
  int startup_ = 10, candidates_ = 24;
  std::vector<int> levels_;  // categories per dimension; 0 for numeric ones
};

}  // namespace

std::unique_ptr<Sampler> make_tpe_sampler(const SweepSpec& spec, bool multivariate) {
  return std::make_unique<TpeSampler>(spec, multivariate);
}

}  // namespace slipway
