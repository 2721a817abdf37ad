// Bayesian optimization with a Gaussian process. The surrogate: a Matérn-5/2 kernel with one
// length scale per numeric parameter (ARD) times an overlap kernel per categorical one, over the
// unit cube (log-scaled parameters are already log-warped there), on standardized losses with a
// learned noise; kernel hyperparameters maximize the log marginal likelihood (Adam on their logs,
// from the previous fit and from random restarts). Integer, stepped, discrete and categorical
// parameters are snapped to their values before the kernel sees them, so the model and the
// acquisition live on the points a trial can actually take. The acquisition is log expected
// improvement, maximized by random candidates around the best trials refined by pattern search.
// Parallel suggestions use the Kriging believer: each pending point joins the data with the
// posterior mean as its value. The first n_initial_points (default 10) come from a scrambled
// Sobol design; past max_observations (default 300) the model keeps the best third and the most
// recent rest, so a suggestion stays well under a second.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "tune/sampler.h"

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dpotri_(const char* uplo, const int* n, double* a, const int* lda, int* info);
}

namespace slipway::tune {

namespace {

constexpr double kSqrt5 = 2.23606797749979;
constexpr double kLog2Pi = 1.8378770664093453;

// Column-major n×n lower Cholesky factor solves.
void solve_lower(const std::vector<double>& L, int n, double* b) {
  for (int i = 0; i < n; ++i) {
    double s = b[i];
    for (int k = 0; k < i; ++k) s -= L[static_cast<size_t>(k) * n + i] * b[k];
    b[i] = s / L[static_cast<size_t>(i) * n + i];
  }
}
void solve_upper_t(const std::vector<double>& L, int n, double* b) {  // Lᵀ x = b
  for (int i = n - 1; i >= 0; --i) {
    double s = b[i];
    for (int k = i + 1; k < n; ++k) s -= L[static_cast<size_t>(i) * n + k] * b[k];
    b[i] = s / L[static_cast<size_t>(i) * n + i];
  }
}

struct Gp {
  int d = 0;
  std::vector<bool> categorical;
  std::vector<double> X, y;  // n×d row-major; standardized losses
  // θ = [log signal variance, log length scales (d), log noise variance]
  std::vector<double> theta;
  std::vector<double> L, alpha;
  int n() const { return static_cast<int>(y.size()); }

  double sf2() const { return std::exp(theta[0]); }
  double ls(int i) const { return std::exp(theta[static_cast<size_t>(1 + i)]); }
  double sn2() const { return std::exp(theta.back()); }

  double kernel(const double* a, const double* b) const {
    double r2 = 0, cat = 0;
    for (int i = 0; i < d; ++i) {
      if (categorical[static_cast<size_t>(i)]) {
        if (a[i] != b[i]) cat += 1.0 / ls(i);
      } else {
        double z = (a[i] - b[i]) / ls(i);
        r2 += z * z;
      }
    }
    double r = std::sqrt(r2);
    return sf2() * (1 + kSqrt5 * r + 5.0 / 3.0 * r2) * std::exp(-kSqrt5 * r - cat);
  }

  // K + noise → L, α = K⁻¹y. False when K is not positive definite.
  bool factor() {
    const int N = n();
    L.assign(static_cast<size_t>(N) * N, 0.0);
    for (int i = 0; i < N; ++i)
      for (int j = 0; j <= i; ++j) {
        double k = kernel(&X[static_cast<size_t>(i) * d], &X[static_cast<size_t>(j) * d]);
        if (i == j) k += sn2() + 1e-9;
        L[static_cast<size_t>(j) * N + i] = k;  // column-major, lower
      }
    int info = 0;
    dpotrf_("L", &N, L.data(), &N, &info);
    if (info != 0) return false;
    for (int j = 0; j < N; ++j)
      for (int i = 0; i < j; ++i)
        L[static_cast<size_t>(j) * N + i] = 0.0;  // dpotrf leaves the upper triangle
    alpha = y;
    solve_lower(L, N, alpha.data());
    solve_upper_t(L, N, alpha.data());
    return true;
  }

  void predict(const double* x, double* mu, double* var) const {
    const int N = n();
    std::vector<double> k(static_cast<size_t>(N));
    for (int i = 0; i < N; ++i)
      k[static_cast<size_t>(i)] = kernel(x, &X[static_cast<size_t>(i) * d]);
    *mu = std::inner_product(k.begin(), k.end(), alpha.begin(), 0.0);
    solve_lower(L, N, k.data());
    *var = std::max(1e-12, sf2() - std::inner_product(k.begin(), k.end(), k.begin(), 0.0));
  }

  // Log marginal likelihood and its gradient in θ (after factor()).
  double lml(std::vector<double>* grad) const {
    const int N = n();
    double v =
        -0.5 * std::inner_product(y.begin(), y.end(), alpha.begin(), 0.0) - 0.5 * N * kLog2Pi;
    for (int i = 0; i < N; ++i) v -= std::log(L[static_cast<size_t>(i) * N + i]);
    if (!grad) return v;
    // W = ααᵀ − K⁻¹; ∂LML/∂θ = ½ tr(W ∂K/∂θ).
    std::vector<double> Kinv = L;
    int info = 0;
    dpotri_("L", &N, Kinv.data(), &N, &info);
    grad->assign(theta.size(), 0.0);
    for (int i = 0; i < N; ++i)
      for (int j = 0; j <= i; ++j) {
        const double kinv = Kinv[static_cast<size_t>(j) * N + i];  // lower triangle holds it
        const double w = alpha[static_cast<size_t>(i)] * alpha[static_cast<size_t>(j)] - kinv;
        const double mult = i == j ? 0.5 : 1.0;  // symmetric off-diagonal pairs count twice
        const double* a = &X[static_cast<size_t>(i) * d];
        const double* b = &X[static_cast<size_t>(j) * d];
        double r2 = 0;
        for (int q = 0; q < d; ++q)
          if (!categorical[static_cast<size_t>(q)]) {
            double z = (a[q] - b[q]) / ls(q);
            r2 += z * z;
          }
        const double r = std::sqrt(r2);
        const double k = kernel(a, b);
        (*grad)[0] += mult * w * k;
        const double common = k / (1 + kSqrt5 * r + 5.0 / 3.0 * r2) * 5.0 / 3.0 * (1 + kSqrt5 * r);
        for (int q = 0; q < d; ++q) {
          double dk;
          if (categorical[static_cast<size_t>(q)])
            dk = a[q] != b[q] ? k / ls(q) : 0.0;
          else {
            double z = (a[q] - b[q]) / ls(q);
            dk = common * z * z;
          }
          (*grad)[static_cast<size_t>(1 + q)] += mult * w * dk;
        }
        if (i == j) grad->back() += mult * w * sn2();
      }
    return v;
  }
};

// Bounds on θ: length scales in [0.01, 20] of the cube, signal variance in [0.05, 20] of the
// standardized losses, noise in [1e-6, 0.5].
void clamp_theta(std::vector<double>& t) {
  t[0] = std::clamp(t[0], std::log(0.05), std::log(20.0));
  for (size_t i = 1; i + 1 < t.size(); ++i) t[i] = std::clamp(t[i], std::log(0.01), std::log(20.0));
  t.back() = std::clamp(t.back(), std::log(1e-6), std::log(0.5));
}

// Adam ascent on the log marginal likelihood from θ; returns the best value seen (θ updated).
double fit(Gp& gp, std::vector<double>& theta, int iters) {
  std::vector<double> m(theta.size(), 0), v(theta.size(), 0), g;
  double best = -INFINITY;
  std::vector<double> best_theta = theta;
  for (int it = 1; it <= iters; ++it) {
    gp.theta = theta;
    if (!gp.factor()) break;
    double val = gp.lml(&g);
    if (val > best) best = val, best_theta = theta;
    for (size_t i = 0; i < theta.size(); ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      double mh = m[i] / (1 - std::pow(0.9, it)), vh = v[i] / (1 - std::pow(0.999, it));
      theta[i] += 0.05 * mh / (std::sqrt(vh) + 1e-8);
    }
    clamp_theta(theta);
  }
  theta = best_theta;
  return best;
}

// log(φ(z) + zΦ(z)), stable far into the left tail (where EI underflows but its log does not).
double log_h(double z) {
  if (z > -6) {
    double phi = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI),
           Phi = 0.5 * std::erfc(-z / std::sqrt(2.0));
    double h = phi + z * Phi;
    if (h > 1e-300) return std::log(h);
  }
  // h(z) = φ(z)/z² · (1 − 3/z² + 15/z⁴ − …) for z → −∞.
  double z2 = z * z;
  return -0.5 * z2 - 0.5 * std::log(2 * M_PI) - std::log(z2) +
         std::log1p(-3.0 / z2 + 15.0 / (z2 * z2));
}

class GpSampler : public Sampler {
 public:
  explicit GpSampler(const SweepSpec& spec) : space_(spec.space), seed_(spec.seed) {
    initial_ = std::stoi(spec.algorithm.setting("n_initial_points", "10"));
    max_obs_ = std::stoi(spec.algorithm.setting("max_observations", "300"));
    for (const auto& p : space_.params) categorical_.push_back(p.kind == ParamKind::kCategorical);
    std::mt19937_64 rng(trial_seed(seed_, 0x5EED));
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (size_t i = 0; i < space_.dims(); ++i) shift_.push_back(u(rng));
  }

  std::vector<std::vector<double>> suggest(const std::vector<Observation>& history,
                                           int n) override {
    std::vector<std::vector<double>> out;
    std::vector<const Observation*> done, pending;
    for (const auto& o : history) (o.finished ? done : pending).push_back(&o);
    const size_t dims = space_.dims();
    for (int k = 0; k < n; ++k) {
      const std::uint64_t index = history.size() + static_cast<size_t>(k);
      if (static_cast<int>(done.size()) < initial_) {
        // The initial design: Sobol points, shifted by the seed.
        auto p = dims <= static_cast<size_t>(kSobolMaxDims)
                     ? sobol_point(index + 1, static_cast<int>(dims))
                     : std::vector<double>(dims, 0.5);
        std::mt19937_64 rng(trial_seed(seed_, index));
        std::uniform_real_distribution<double> u(0.0, 1.0);
        for (size_t d = 0; d < dims; ++d)
          p[d] = dims <= static_cast<size_t>(kSobolMaxDims) ? std::fmod(p[d] + shift_[d], 1.0)
                                                            : u(rng);
        out.push_back(snap(p));
        continue;
      }
      if (k == 0) build(done, pending);
      std::mt19937_64 rng(trial_seed(seed_, index));
      auto x = maximize_ei(rng);
      out.push_back(x);
      believe(x);
    }
    return out;
  }

 private:
  // A point as a trial would take it: every parameter through its values and back.
  std::vector<double> snap(const std::vector<double>& u) const {
    return space_.encode(space_.decode(u));
  }

  void build(std::vector<const Observation*> done, const std::vector<const Observation*>& pending) {
    if (static_cast<int>(done.size()) > max_obs_) {
      // Keep the best third and the most recent of the rest.
      std::vector<const Observation*> by_loss = done;
      std::stable_sort(by_loss.begin(), by_loss.end(),
                       [](auto* a, auto* b) { return a->loss < b->loss; });
      std::vector<const Observation*> keep(by_loss.begin(), by_loss.begin() + max_obs_ / 3);
      for (auto it = done.rbegin(); it != done.rend() && static_cast<int>(keep.size()) < max_obs_;
           ++it)
        if (std::find(keep.begin(), keep.end(), *it) == keep.end()) keep.push_back(*it);
      done = keep;
    }
    gp_ = Gp{};
    gp_.d = static_cast<int>(space_.dims());
    gp_.categorical = categorical_;
    std::vector<double> losses;
    for (auto* o : done) {
      auto s = snap(o->u);
      gp_.X.insert(gp_.X.end(), s.begin(), s.end());
      losses.push_back(o->loss);
    }
    // Heavy-tailed losses (a few trials orders of magnitude worse than the rest) are compressed
    // by a log above the best, scaled by the median gap, so the model spends itself on the good
    // region; the transform is monotone, so the best trial stays the best.
    {
      std::vector<double> sorted = losses;
      std::sort(sorted.begin(), sorted.end());
      const double lo = sorted.front(), med = sorted[sorted.size() / 2], hi = sorted.back();
      if (hi - lo > 20 * (med - lo) && med > lo)
        for (double& l : losses) l = std::log1p((l - lo) / (med - lo));
    }
    double mean =
        std::accumulate(losses.begin(), losses.end(), 0.0) / static_cast<double>(losses.size());
    double var = 0;
    for (double l : losses) var += (l - mean) * (l - mean);
    double sd = std::sqrt(var / std::max<size_t>(1, losses.size() - 1));
    if (!(sd > 1e-12)) sd = 1.0;
    for (double l : losses) gp_.y.push_back((l - mean) / sd);
    best_y_ = *std::min_element(gp_.y.begin(), gp_.y.end());
    // Hyperparameters: from the previous fit, and from restarts on the first fit and every tenth.
    std::vector<double> start(static_cast<size_t>(gp_.d) + 2, std::log(0.3));
    start[0] = 0.0;
    start.back() = std::log(1e-3);
    std::vector<std::vector<double>> starts;
    if (!theta_.empty() && theta_.size() == start.size()) starts.push_back(theta_);
    if (theta_.empty() || fits_ % 10 == 0) {
      starts.push_back(start);
      std::mt19937_64 rng(trial_seed(seed_, 0xF17 + static_cast<std::uint64_t>(fits_)));
      std::uniform_real_distribution<double> u(std::log(0.05), std::log(2.0));
      for (int r = 0; r < 2; ++r) {
        auto t = start;
        for (size_t i = 1; i + 1 < t.size(); ++i) t[i] = u(rng);
        starts.push_back(t);
      }
    }
    double best = -INFINITY;
    for (auto t : starts) {
      double v = fit(gp_, t, theta_.empty() || starts.size() > 1 ? 80 : 40);
      if (v > best) best = v, theta_ = t;
    }
    ++fits_;
    gp_.theta = theta_;
    gp_.factor();
    for (auto* o : pending) believe(snap(o->u));
  }

  // Kriging believer: the point joins the data at its posterior mean (hyperparameters kept).
  void believe(const std::vector<double>& x) {
    double mu = 0, var = 0;
    gp_.predict(x.data(), &mu, &var);
    gp_.X.insert(gp_.X.end(), x.begin(), x.end());
    gp_.y.push_back(mu);
    gp_.factor();
  }

  double log_ei(const std::vector<double>& x) const {
    double mu = 0, var = 0;
    gp_.predict(x.data(), &mu, &var);
    double s = std::sqrt(var);
    return std::log(s) + log_h((best_y_ - mu) / s);
  }

  std::vector<double> maximize_ei(std::mt19937_64& rng) const {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::normal_distribution<double> nrm(0.0, 0.05);
    const size_t D = space_.dims();
    std::vector<std::pair<double, std::vector<double>>> cands;
    auto add = [&](std::vector<double> x) {
      for (auto& v : x) v = std::clamp(v, 0.0, std::nextafter(1.0, 0.0));
      x = snap(x);
      cands.push_back({log_ei(x), std::move(x)});
    };
    for (int i = 0; i < 300; ++i) {
      std::vector<double> x(D);
      for (auto& v : x) v = u(rng);
      add(x);
    }
    // Around the best observed points.
    std::vector<size_t> order(static_cast<size_t>(gp_.n()));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gp_.y[a] < gp_.y[b]; });
    for (size_t r = 0; r < std::min<size_t>(5, order.size()); ++r)
      for (int i = 0; i < 20; ++i) {
        std::vector<double> x(gp_.X.begin() + static_cast<std::ptrdiff_t>(order[r] * D),
                              gp_.X.begin() + static_cast<std::ptrdiff_t>((order[r] + 1) * D));
        for (auto& v : x) v += nrm(rng);
        add(x);
      }
    std::sort(cands.begin(), cands.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    // Pattern search from the three best candidates.
    auto best = cands.front();
    for (size_t c = 0; c < std::min<size_t>(3, cands.size()); ++c) {
      auto cur = cands[c];
      for (double step = 0.1; step > 1e-3; step *= 0.5) {
        bool improved = true;
        while (improved) {
          improved = false;
          for (size_t d = 0; d < D; ++d)
            for (double sgn : {-1.0, 1.0}) {
              auto x = cur.second;
              x[d] = std::clamp(x[d] + sgn * step, 0.0, std::nextafter(1.0, 0.0));
              x = snap(x);
              if (x == cur.second) continue;
              double v = log_ei(x);
              if (v > cur.first + 1e-12) cur = {v, x}, improved = true;
            }
        }
      }
      if (cur.first > best.first) best = cur;
    }
    return best.second;
  }

  SearchSpace space_;
  std::uint64_t seed_;
  int initial_ = 10, max_obs_ = 300, fits_ = 0;
  std::vector<bool> categorical_;
  std::vector<double> shift_, theta_;
  Gp gp_;
  double best_y_ = 0;
};

}  // namespace

std::unique_ptr<Sampler> make_gp_sampler(const SweepSpec& spec) {
  return std::make_unique<GpSampler>(spec);
}

}  // namespace slipway::tune
