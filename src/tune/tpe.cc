// Tree-structured Parzen estimators. Finished trials are split at the γ-quantile of their losses
// (γ(n) = min(⌈0.1·n⌉, 25), Optuna's default) into good and bad; each side becomes a Parzen
// density over the unit cube (a truncated Gaussian per trial plus a wide prior; a categorical
// kernel for categorical parameters); candidates drawn from the good density are ranked by
// log l(x) − log g(x), the expected-improvement criterion. Running trials count as bad (a
// constant liar), so parallel suggestions spread out.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "tune/sampler.h"

namespace slipway {

namespace {

constexpr double kPriorMu = 0.5, kPriorSigma = 1.0, kPriorWeight = 1.0;
constexpr double kInvSqrt2 = 0.7071067811865476, kLogSqrt2Pi = 0.9189385332046728;

double normal_cdf(double z) { return 0.5 * std::erfc(-z * kInvSqrt2); }

// One side's density: components (observations + the prior) with per-dimension centres and widths.
struct Parzen {
  size_t dims = 0;
  std::vector<double> weight;             // [components], normalized
  std::vector<double> mu, sigma, log_norm;  // [components × dims]: truncated-normal terms, numeric dims
  std::vector<int> category;              // [components × dims]: observed category (−1: prior)
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
    P.mu.assign(n * D, kPriorMu);
    P.sigma.assign(n * D, kPriorSigma);
    P.category.assign(n * D, -1);
    for (size_t d = 0; d < D; ++d) {
      if (levels_[d] > 0) {
        for (size_t i = 0; i < obs.size(); ++i) P.category[i * D + d] = category_of(d, obs[i]->u[d]);
        continue;
      }
      for (size_t i = 0; i < obs.size(); ++i) P.mu[i * D + d] = obs[i]->u[d];
      if (multivariate_) {
        // Scott's rule over the whole cube: one width per dimension for every kernel.
        double bw = 0.2 * std::pow(static_cast<double>(n), -1.0 / (static_cast<double>(D) + 4.0));
        for (size_t i = 0; i < obs.size(); ++i) P.sigma[i * D + d] = bw;
      } else {
        // The gap to the neighbouring centres (prior included), clipped to [1/min(100, n), 1].
        std::vector<std::pair<double, size_t>> order;
        for (size_t i = 0; i < n; ++i) order.push_back({P.mu[i * D + d], i});
        std::sort(order.begin(), order.end());
        const double lo = 1.0 / std::min(100.0, static_cast<double>(n)), hi = 1.0;
        for (size_t k = 0; k < order.size(); ++k) {
          double left = order[k].first - (k > 0 ? order[k - 1].first : 0.0);
          double right = (k + 1 < order.size() ? order[k + 1].first : 1.0) - order[k].first;
          size_t i = order[k].second;
          if (i + 1 == n) continue;  // the prior keeps its width
          P.sigma[i * D + d] = std::clamp(std::max(left, right), lo, hi);
        }
      }
    }
    P.log_norm.assign(n * D, 0.0);
    for (size_t i = 0; i < n; ++i)
      for (size_t d = 0; d < D; ++d) {
        if (levels_[d] > 0) continue;
        double m = P.mu[i * D + d], s = P.sigma[i * D + d];
        double mass = normal_cdf((1.0 - m) / s) - normal_cdf((0.0 - m) / s);
        P.log_norm[i * D + d] = -std::log(s) - kLogSqrt2Pi - std::log(std::max(mass, 1e-300));
      }
    return P;
  }

  // log of kernel i's density at x along dimension d.
  double log_kernel(const Parzen& P, size_t i, size_t d, double x) const {
    const size_t k = i * P.dims + d;
    if (levels_[d] > 0) {
      int c = category_of(d, x), K = levels_[d];
      double p = P.category[k] < 0 ? 1.0 / K : (c == P.category[k] ? 0.5 : 0.0) + 0.5 / K;
      return std::log(p * K);  // per unit of u: the cell of a category is 1/K wide
    }
    double z = (x - P.mu[k]) / P.sigma[k];
    return P.log_norm[k] - 0.5 * z * z;
  }

  static double log_sum_exp(const std::vector<double>& v) {
    double m = *std::max_element(v.begin(), v.end());
    if (!std::isfinite(m)) return m;
    double s = 0;
    for (double x : v) s += std::exp(x - m);
    return m + std::log(s);
  }

  double log_density(const Parzen& P, const std::vector<double>& x) const {
    const size_t n = P.weight.size();
    std::vector<double> terms(n);
    if (multivariate_) {
      for (size_t i = 0; i < n; ++i) {
        double t = std::log(P.weight[i]);
        for (size_t d = 0; d < P.dims; ++d) t += log_kernel(P, i, d, x[d]);
        terms[i] = t;
      }
      return log_sum_exp(terms);
    }
    double total = 0;
    for (size_t d = 0; d < P.dims; ++d) {
      for (size_t i = 0; i < n; ++i) terms[i] = std::log(P.weight[i]) + log_kernel(P, i, d, x[d]);
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
      const size_t k = i * P.dims + d;
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
      // Φ⁻¹ by bisection on erfc: a few dozen steps are exact enough and never fail.
      double lo = -40, hi = 40;
      for (int it = 0; it < 60; ++it) {
        double mid = 0.5 * (lo + hi);
        (normal_cdf(mid) < q ? lo : hi) = mid;
      }
      x[d] = std::clamp(P.mu[k] + P.sigma[k] * 0.5 * (lo + hi), 0.0, std::nextafter(1.0, 0.0));
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
