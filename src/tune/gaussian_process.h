// The Gaussian-process surrogate of the `bayesianoptimization` sampler: exact GP regression over
// the unit cube with a Matérn-5/2 kernel, one length scale per numeric dimension (ARD), times an
// overlap kernel per categorical one, on standardized losses with a constant mean (its
// generalized-least-squares value) and a learned noise. Hyperparameters are the maximum a
// posteriori under the priors BoTorch uses by default (Hvarfner et al. 2024, "Vanilla Bayesian
// optimization performs great in high dimensions"): a length scale prior that grows with √d, so
// a 10-dimensional space starts from a smooth model instead of one that chases every
// observation, and a noise prior centred on small noise.
#pragma once

#include <vector>

namespace slipway::tune {

class GaussianProcess {
 public:
  // dims: input dimensions; categorical[i]: dimension i compares by equality only.
  explicit GaussianProcess(std::vector<bool> categorical);

  int dims() const { return d_; }
  int size() const { return static_cast<int>(y_.size()); }
  const std::vector<double>& inputs() const { return X_; }  // size()×dims(), row-major
  const std::vector<double>& targets() const { return y_; }

  // Replaces the data (x is n×dims row-major) and factors. False when K cannot be factored (data
  // that are not finite).
  bool set_data(std::vector<double> x, std::vector<double> y);
  // Adds one point and refactors (the hyperparameters stay). False, with the point left out, when
  // K cannot be factored with it.
  bool add(const std::vector<double>& x, double y);

  // θ = [log signal variance, log length scales (dims), log noise variance].
  const std::vector<double>& hyperparameters() const { return theta_; }
  std::vector<double> prior_mode() const;
  // Maximizes the log posterior of θ by L-BFGS from each start, keeping the best; the model is
  // factored at the result. Returns false when no start gave a positive definite K.
  bool fit(const std::vector<std::vector<double>>& starts, int max_evaluations);
  // Sets θ and factors. False when K is not positive definite.
  bool set_hyperparameters(const std::vector<double>& theta);

  // Posterior mean and variance at x; with dmu and dvar, their gradients in x (zero along
  // categorical dimensions). With k and dk, also the prior covariances k(x, Xᵢ) (n) and their
  // gradients in x (n×dims, row-major), which the noisy EI needs for the posterior covariance
  // between x and its baseline.
  void predict(const double* x, double* mu, double* var, double* dmu = nullptr,
               double* dvar = nullptr, std::vector<double>* k = nullptr,
               std::vector<double>* dk = nullptr) const;
  // The prior covariance k(a, b) and, with grad, its gradient in a.
  double kernel_with_gradient(const double* a, const double* b, double* grad) const;
  // K⁻¹ k for a column k of n prior covariances (in place).
  void solve(double* k) const;
  // The GP's mean constant (the GLS estimate).
  double mean_constant() const { return mean_; }
  // Posterior mean and variance at m points at once (m×dims row-major), through BLAS; with
  // kstar, also their prior covariances with the data (n×m, column j for point j).
  void predict_many(const std::vector<double>& x, std::vector<double>* mu, std::vector<double>* var,
                    std::vector<double>* kstar = nullptr) const;

  // The posterior mean at each observed input (what predict_many gives there, from the kernel
  // matrix already at hand: O(n²), no solves).
  std::vector<double> means_at_inputs() const;

  // The log marginal likelihood plus the log prior at the current θ, and its gradient in θ.
  double log_posterior(std::vector<double>* grad) const;

 private:
  // θ and what follows from it (signal and noise variance, inverse length scales), unfactored.
  void set_theta(const std::vector<double>& theta);
  double kernel(const double* a, const double* b) const {
    return kernel_with_gradient(a, b, nullptr);
  }
  bool factor();

  int d_;
  std::vector<bool> categorical_;
  std::vector<double> X_, y_, theta_;
  // From θ: signal variance, noise variance, 1/length scale per dimension.
  double sf2_ = 1, sn2_ = 1e-3;
  std::vector<double> inv_ls_;
  // From factor(): the kernel matrix without noise (n×n), its noisy Cholesky factor (column-major
  // lower) and K⁻¹y.
  std::vector<double> K_, L_, alpha_;
  double mean_ = 0;
};

}  // namespace slipway::tune
