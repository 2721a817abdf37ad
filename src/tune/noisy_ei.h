// Noisy expected improvement (Letham et al. 2019; BoTorch's qLogNoisyExpectedImprovement for one
// point), for minimization on a fitted GaussianProcess. Instead of a plug-in best value, the
// incumbent is what the model believes about the best observed points: S joint draws of the
// latent losses at a baseline of the most promising observations (fixed, seeded draws, so the
// acquisition is a smooth deterministic function). For each draw, the loss at x given the
// baseline's draw is Gaussian, so the improvement is expected analytically (the MC average runs
// over the baseline alone). Because f(x) is correlated with the baseline, a point next to the
// incumbent gains little, which keeps the search from re-sampling the incumbent's neighbourhood
// on a noisy objective, and a lucky noisy observation does not set an unreachable bar.
#pragma once

#include <cstdint>
#include <vector>

#include "tune/gaussian_process.h"

namespace slipway::tune {

class NoisyExpectedImprovement {
 public:
  // baseline_size: how many observations (the lowest posterior means) form the baseline;
  // samples: joint draws of their latent losses.
  NoisyExpectedImprovement(const GaussianProcess& gp, std::uint64_t seed, int baseline_size = 20,
                           int samples = 128);

  // log NEI at x and, with grad, its gradient in x (zero along categorical dimensions).
  double log_value(const double* x, double* grad) const;
  // log NEI at many points (m×dims row-major), without gradients.
  std::vector<double> log_values(const std::vector<double>& x) const;

 private:
  const GaussianProcess& gp_;
  int m_ = 0, samples_ = 0;
  std::vector<double> B_;     // m×dims baseline inputs
  std::vector<double> V_;     // n×m, column b = K⁻¹ k(X, b)
  std::vector<double> R_;     // m×m lower Cholesky factor of the baseline's posterior covariance
  std::vector<double> Z_;     // samples×m standard normal draws
  std::vector<double> best_;  // per draw: the lowest latent loss over the baseline
};

}  // namespace slipway::tune
