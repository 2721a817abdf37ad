// Tree-structured Parzen estimators, with the estimator Optuna 5 uses by default. Finished trials
// are split at the γ-quantile of their losses (γ(n) = min(⌈0.1·n⌉, 25)) into good and bad; each
// side becomes a Parzen density over the unit cube: a truncated Gaussian per trial, its width the
// larger gap to its neighbours along that dimension (the outermost ones: the inner gap), clipped
// to [1/min(100, n + 2), 1], plus a wide prior; for categorical parameters a kernel that puts
// 1 + 1/(n + 1) on the trial's category against 1/(n + 1) on each other. Components weigh 1,
// except past 25 where the first ones in loss order weigh less (a ramp from 1/n up; Optuna ramps
// by age: over 10 seeds of the benchmark's seven functions, loss order gave the lower regret on
// six of them, univariate and multivariate alike). Candidates
// drawn from the good density are ranked by log l(x) − log g(x), the expected-improvement
// criterion. Running trials count as bad (a constant liar), so parallel suggestions spread out.
// Multivariate: one kernel per trial over all dimensions together (the same widths).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "core/vector_clones.h"
#include "tune/sampler.h"
#include "tune/sorted_history.h"

namespace slipway::tune {

namespace {

constexpr double kPriorMu = 0.5, kPriorSigma = 1.0, kPriorWeight = 1.0;
constexpr double kInvSqrt2 = 0.7071067811865476, kLogSqrt2Pi = 0.9189385332046728;

double normal_cdf(double z) { return 0.5 * std::erfc(-z * kInvSqrt2); }

// Φ⁻¹(q) by Acklam's rational approximation (relative error 1.15e-9), polished by one Halley step
// on erfc to full double precision.
double normal_quantile(double q) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double low = 0.02425;
  double x;
  if (q < low || q > 1 - low) {
    double t = std::sqrt(-2 * std::log(q < low ? q : 1 - q));
    x = (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
        ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
    if (q > 1 - low) x = -x;
  } else {
    double t = q - 0.5, r = t * t;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * t /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = normal_cdf(x) - q;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

// e^x for x ≤ 0 (0 below −700): x = k·ln2 + r, |r| ≤ ln2/2, e^r by a degree-7 Taylor polynomial
// (relative error below 1e-8, far below what ranking candidates needs), 2^k through the exponent
// bits. Plain arithmetic without branches or calls, so loops over it vectorize.
inline double exp_nonpositive(double x) {
  x = x < -700.0 ? -700.0 : x;
  // Adding 1.5·2^52 rounds x·log2(e) to an integer k held in the low bits of the sum.
  const double shifter = 6755399441055744.0;
  const double kd = x * 1.4426950408889634 + shifter;
  const double k = kd - shifter;
  const double r = x - k * 0.6931471805599453;
  double p = 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // k + 1023 into the exponent field; the shifter's own bits shift out the top.
  const std::int64_t bits = (std::bit_cast<std::int64_t>(kd) + 1023) << 52;
  return p * std::bit_cast<double>(bits);
}

// terms[i] = base[i] − ½((x − mu[i])·inv_sigma[i])², one dimension's Gaussian kernels at x;
// returns the largest term. At 1,000 trials these loops and the sums below are most of a
// suggestion.
SLIPWAY_VECTOR_CLONES double gaussian_terms(const double* base, const double* mu,
                                            const double* inv_sigma, size_t n, double x,
                                            double* terms) {
  double m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (size_t i = 0; i < n; ++i) {
    const double z = (x - mu[i]) * inv_sigma[i];
    const double t = base[i] - 0.5 * z * z;
    terms[i] = t;
    m = t > m ? t : m;
  }
  return m;
}

// terms[i] += base[i] − ½((x − mu[i])·inv_sigma[i])²: a multivariate kernel's factor along one
// dimension.
SLIPWAY_VECTOR_CLONES void add_gaussian_terms(const double* base, const double* mu,
                                              const double* inv_sigma, size_t n, double x,
                                              double* terms) {
  for (size_t i = 0; i < n; ++i) {
    const double z = (x - mu[i]) * inv_sigma[i];
    terms[i] += base[i] - 0.5 * z * z;
  }
}

// log Σ e^v[i], given m = max v[i].
SLIPWAY_VECTOR_CLONES double log_sum_exp(const double* v, size_t n, double m) {
  if (!std::isfinite(m)) return m;
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t i = 0; i < n; ++i) s += exp_nonpositive(v[i] - m);
  return m + std::log(s);
}

double log_sum_exp(const double* v, size_t n) {
  return log_sum_exp(v, n, *std::max_element(v, v + n));
}

// One side's density: components (observations + the prior) with per-dimension centres and widths.
struct Parzen {
  size_t dims = 0;
  std::vector<double> weight, log_weight;  // [components], normalized
  std::vector<double> mu, sigma,
      inv_sigma;  // [dims × components] (contiguous per dimension): truncated normals
  // [dims × components]: the part of a kernel's log term that does not depend on x: its
  // normalizer, plus (univariate) the component's log weight.
  std::vector<double> base;
  std::vector<int> category;  // [dims × components]: observed category (−1: prior)
};

class TpeSampler : public Sampler {
 public:
  TpeSampler(const SweepSpec& spec, bool multivariate)
      : space_(spec.space), seed_(spec.seed), multivariate_(multivariate) {
    startup_ = std::stoi(spec.algorithm.setting("n_startup_trials", "10"));
    candidates_ = std::stoi(spec.algorithm.setting("n_ei_candidates", "24"));
    for (size_t d = 0; d < space_.dims(); ++d) {
      const auto& p = space_.params[d];
      levels_.push_back(p.kind == ParamKind::kCategorical ? static_cast<int>(p.choices.size()) : 0);
      if (p.cardinality() > 0) snap_dims_.push_back(d);
    }
  }

  std::vector<std::vector<double>> suggest(const std::vector<Observation>& history,
                                           int n) override {
    if (n == 1) {  // the common case: no copy of the history
      std::mt19937_64 rng(trial_seed(seed_, history.size()));
      return {snap(one(snapped(history), rng))};
    }
    std::vector<Observation> h = snapped(history);
    std::vector<std::vector<double>> out;
    for (int k = 0; k < n; ++k) {
      std::mt19937_64 rng(trial_seed(seed_, h.size()));
      std::vector<double> p = snap(one(h, rng));
      h.push_back({p, 0.0, false});
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  // Integer, stepped, discrete and categorical parameters: a point sits at the centre of its
  // value's cell, wherever in the cell it was drawn, so trials that took the same value share one
  // kernel centre (as Optuna's kernels sit on the values themselves). Without it, kernels scattered
  // inside one cell got widths of a fraction of it, and a multivariate search settled on a
  // categorical value and an integer it had found early in a third more of the seeds on the mixed
  // benchmark.
  double snap_value(size_t d, double u) const {
    const ParamSpec& p = space_.params[d];
    return space_.unit_of(p, space_.value_of(p, u));
  }
  std::vector<double> snap(std::vector<double> u) const {
    for (size_t d : snap_dims_) u[d] = snap_value(d, u[d]);
    return u;
  }
  // The history with its points snapped; each trial's snapped point is kept while its point stays.
  const std::vector<Observation>& snapped(const std::vector<Observation>& h) {
    if (snap_dims_.empty()) return h;
    snapped_.resize(h.size());
    raw_.resize(h.size());
    for (size_t i = 0; i < h.size(); ++i) {
      if (raw_[i] != h[i].u) {
        raw_[i] = h[i].u;
        snapped_[i].u = snap(h[i].u);
      }
      snapped_[i].loss = h[i].loss;
      snapped_[i].finished = h[i].finished;
    }
    return snapped_;
  }

  std::vector<double> one(const std::vector<Observation>& h, std::mt19937_64& rng) {
    std::vector<size_t> finished, pending;
    for (size_t i = 0; i < h.size(); ++i) {
      // A finished trial whose loss is not finite cannot be ranked (it would break the sort by
      // loss): it is left out, as a failed trial is (the controller fails such trials).
      if (!h[i].finished)
        pending.push_back(i);
      else if (std::isfinite(h[i].loss))
        finished.push_back(i);
    }
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    if (static_cast<int>(finished.size()) < startup_) {
      std::vector<double> p(space_.dims());
      for (auto& x : p) x = unit(rng);
      return p;
    }
    sorted_.sync(h, space_.dims());
    // Both sides in loss order (earlier trial first on ties), running trials last: a component's
    // weight follows its place.
    const size_t n_good = std::min<size_t>(
        25, static_cast<size_t>(std::ceil(0.1 * static_cast<double>(finished.size()))));
    std::sort(finished.begin(), finished.end(), [&h](size_t a, size_t b) {
      return h[a].loss < h[b].loss || (h[a].loss == h[b].loss && a < b);
    });
    std::vector<size_t> good(finished.begin(),
                             finished.begin() + static_cast<std::ptrdiff_t>(n_good));
    std::vector<size_t> bad(finished.begin() + static_cast<std::ptrdiff_t>(n_good), finished.end());
    bad.insert(bad.end(), pending.begin(), pending.end());
    Parzen l = build(h, good), g = build(h, bad);
    std::vector<double> best;
    double best_score = -INFINITY;
    for (int c = 0; c < candidates_; ++c) {
      std::vector<double> x = snap(draw(l, rng));
      double score = log_density(l, x) - log_density(g, x);
      if (score > best_score) {
        best_score = score;
        best = std::move(x);
      }
    }
    return best;
  }

  int category_of(size_t d, double u) const {
    return std::min(levels_[d] - 1, static_cast<int>(u * levels_[d]));
  }

  // The components (indices into `members`) ordered by their centre along dimension d, ties by
  // trial. Large sets are read off the finished trials' standing order, merged with the running
  // ones; small ones are sorted directly.
  std::vector<size_t> by_centre(const std::vector<Observation>& h,
                                const std::vector<size_t>& members, size_t d) const {
    auto before = [&](size_t a, size_t b) {
      const double x = h[members[a]].u[d], y = h[members[b]].u[d];
      return x < y || (x == y && members[a] < members[b]);
    };
    std::vector<size_t> order;
    if (members.size() < 64 || !sorted_.ready(h.size())) {
      order.resize(members.size());
      std::iota(order.begin(), order.end(), size_t{0});
      std::sort(order.begin(), order.end(), before);
      return order;
    }
    std::vector<std::int32_t> component(h.size(), -1);
    std::vector<size_t> running;
    for (size_t k = 0; k < members.size(); ++k) {
      component[members[k]] = static_cast<std::int32_t>(k);
      if (!h[members[k]].finished) running.push_back(k);
    }
    std::sort(running.begin(), running.end(), before);
    std::vector<size_t> finished;
    finished.reserve(members.size());
    for (std::uint32_t t : sorted_.order(d))
      if (component[t] >= 0) finished.push_back(static_cast<size_t>(component[t]));
    order.resize(finished.size() + running.size());
    std::merge(finished.begin(), finished.end(), running.begin(), running.end(), order.begin(),
               before);
    return order;
  }

  Parzen build(const std::vector<Observation>& h, const std::vector<size_t>& members) const {
    Parzen P;
    P.dims = space_.dims();
    const size_t n = members.size() + 1, D = P.dims;
    P.weight.assign(n, 1.0);
    const size_t m = members.size();
    if (m > 25)
      for (size_t r = 0; r + 25 < m; ++r)
        P.weight[r] = 1.0 / static_cast<double>(m) +
                      (1.0 - 1.0 / static_cast<double>(m)) *
                          (m == 26 ? 0.0 : static_cast<double>(r) / static_cast<double>(m - 26));
    P.weight.back() = kPriorWeight;
    double total = std::accumulate(P.weight.begin(), P.weight.end(), 0.0);
    for (auto& w : P.weight) w /= total;
    for (double w : P.weight) P.log_weight.push_back(std::log(w));
    P.mu.assign(n * D, kPriorMu);
    P.sigma.assign(n * D, kPriorSigma);
    P.category.assign(n * D, -1);
    for (size_t d = 0; d < D; ++d) {
      if (levels_[d] > 0) {
        for (size_t i = 0; i < members.size(); ++i)
          P.category[d * n + i] = category_of(d, h[members[i]].u[d]);
        continue;
      }
      double* mu = &P.mu[d * n];
      double* sigma = &P.sigma[d * n];
      for (size_t i = 0; i < members.size(); ++i) mu[i] = h[members[i]].u[d];
      std::vector<size_t> order = by_centre(h, members, d);
      const size_t k_last = order.size() - 1;
      const double lo = 1.0 / std::min(100.0, static_cast<double>(m) + 2.0);
      for (size_t k = 0; k < order.size(); ++k) {
        const size_t i = order[k];
        const double left = mu[i] - (k > 0 ? mu[order[k - 1]] : 0.0);
        const double right = (k < k_last ? mu[order[k + 1]] : 1.0) - mu[i];
        double gap = std::max(left, right);
        if (order.size() >= 2 && k == 0) gap = right;  // the outermost: not the gap to the edge
        if (order.size() >= 2 && k == k_last) gap = left;
        sigma[i] = std::clamp(gap, lo, 1.0);
      }
    }
    P.base.assign(n * D, 0.0);
    P.inv_sigma.assign(n * D, 1.0);
    for (size_t i = 0; i < n; ++i)
      for (size_t d = 0; d < D; ++d) {
        if (levels_[d] > 0) continue;
        double m = P.mu[d * n + i], s = P.sigma[d * n + i];
        P.inv_sigma[d * n + i] = 1.0 / s;
        // A kernel 8σ inside both ends has all its mass in [0, 1] (to 1e-15): skip the erfc.
        double mass = m > 8 * s && 1 - m > 8 * s
                          ? 1.0
                          : normal_cdf((1.0 - m) / s) - normal_cdf((0.0 - m) / s);
        P.base[d * n + i] = -std::log(s) - kLogSqrt2Pi - std::log(std::max(mass, 1e-300)) +
                            (multivariate_ ? 0.0 : P.log_weight[i]);
      }
    return P;
  }

  // log of kernel i's density at x along categorical dimension d.
  double log_category_kernel(const Parzen& P, size_t i, size_t d, double x) const {
    const size_t k = d * P.weight.size() + i;
    const int c = category_of(d, x), K = levels_[d];
    const double w0 =
        kPriorWeight / static_cast<double>(P.weight.size());  // prior weight / (n + 1)
    const double p =
        P.category[k] < 0 ? 1.0 / K : ((c == P.category[k] ? 1.0 : 0.0) + w0) / (1.0 + K * w0);
    return std::log(p * K);  // per unit of u: the cell of a category is 1/K wide
  }

  double log_density(const Parzen& P, const std::vector<double>& x) const {
    const size_t n = P.weight.size();
    terms_.resize(n);
    double* terms = terms_.data();
    if (multivariate_) {
      std::copy(P.log_weight.begin(), P.log_weight.end(), terms);
      for (size_t d = 0; d < P.dims; ++d) {
        if (levels_[d] > 0) {
          for (size_t i = 0; i < n; ++i) terms[i] += log_category_kernel(P, i, d, x[d]);
        } else {
          add_gaussian_terms(&P.base[d * n], &P.mu[d * n], &P.inv_sigma[d * n], n, x[d], terms);
        }
      }
      return log_sum_exp(terms, n);
    }
    double total = 0;
    for (size_t d = 0; d < P.dims; ++d) {
      if (levels_[d] > 0) {
        for (size_t i = 0; i < n; ++i)
          terms[i] = P.log_weight[i] + log_category_kernel(P, i, d, x[d]);
        total += log_sum_exp(terms, n);
      } else {
        const double m =
            gaussian_terms(&P.base[d * n], &P.mu[d * n], &P.inv_sigma[d * n], n, x[d], terms);
        total += log_sum_exp(terms, n, m);
      }
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
        // The trial's category with probability 1/(1 + K·w0), else any, uniformly
        // (log_category_kernel).
        const int K = levels_[d];
        const double w0 = kPriorWeight / static_cast<double>(P.weight.size());
        const int c = P.category[k] >= 0 && unit(rng) < 1.0 / (1.0 + K * w0)
                          ? P.category[k]
                          : static_cast<int>(unit(rng) * K);
        x[d] = (std::min(c, K - 1) + 0.5) / K;
        continue;
      }
      // A truncated normal by inverse CDF over the mass inside [0, 1).
      double a = normal_cdf((0.0 - P.mu[k]) / P.sigma[k]),
             b = normal_cdf((1.0 - P.mu[k]) / P.sigma[k]);
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
  std::vector<int> levels_;               // categories per dimension; 0 for numeric ones
  std::vector<size_t> snap_dims_;         // dimensions with a finite set of values
  std::vector<Observation> snapped_;      // the last history, snapped
  std::vector<std::vector<double>> raw_;  // and its points as given
  mutable std::vector<double> terms_;     // scratch for one mixture's log terms
  SortedHistory sorted_;
};

}  // namespace

std::unique_ptr<Sampler> make_tpe_sampler(const SweepSpec& spec, bool multivariate) {
  return std::make_unique<TpeSampler>(spec, multivariate);
}

}  // namespace slipway::tune
