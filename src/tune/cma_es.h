// CMA-ES, the covariance matrix adaptation evolution strategy (Hansen, "The CMA Evolution
// Strategy: A Tutorial", 2016): a multivariate normal over the search space whose mean, step size
// and covariance follow the best of each generation of λ samples. The default strategy
// parameters, the negative (active) recombination weights and the stopping tests are the
// tutorial's, as the `cmaes` library that Optuna's CmaEsSampler uses has them; Katib's cmaes
// (goptuna) follows the same tutorial. Here it works in the unit cube of a sweep's search space.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace slipway::tune {

class CmaEs {
 public:
  // Starts at `mean` with step size `sigma`; popsize 0 takes the default 4 + ⌊3 ln n⌋.
  CmaEs(std::vector<double> mean, double sigma, int popsize = 0);

  int dims() const { return n_; }
  int popsize() const { return lambda_; }
  int generation() const { return generation_; }
  // One sample of the current distribution, resampled while outside [0, 1]^n (at most 100
  // times, then clipped), as the `cmaes` library repairs bounded samples.
  std::vector<double> ask(std::mt19937_64& rng) const;
  // One generation: exactly popsize (point, loss) pairs, in any order; lower loss is better.
  void tell(std::vector<std::pair<std::vector<double>, double>> solutions);
  // The tutorial's termination criteria (tolfun, tolx, tolxup, conditioncov, noeffectcoord,
  // noeffectaxis): further generations would not improve, so a restart strategy starts anew.
  bool should_stop() const;

  // The state, for tests against reference implementations.
  const std::vector<double>& mean() const { return mean_; }
  double sigma() const { return sigma_; }
  const std::vector<double>& cov() const { return c_; }  // row-major n×n
  const std::vector<double>& weights() const { return w_; }
  double mu_eff() const { return mu_eff_; }
  double c1() const { return c1_; }
  double cmu() const { return cmu_; }
  double c_sigma() const { return c_sigma_; }
  double d_sigma() const { return d_sigma_; }
  double cc() const { return cc_; }
  const std::vector<double>& p_sigma() const { return p_sigma_; }
  const std::vector<double>& p_c() const { return p_c_; }

 private:
  // C = B diag(D²) Bᵀ; recomputed after each tell.
  void decompose();

  int n_, lambda_, mu_;
  std::vector<double> w_;
  double mu_eff_, c1_, cmu_, c_sigma_, d_sigma_, cc_, chi_n_;
  std::vector<double> mean_;
  double sigma_, sigma0_;
  std::vector<double> c_, b_, d_;  // covariance, its eigenvectors (columns), sqrt eigenvalues
  std::vector<double> p_sigma_, p_c_;
  int generation_ = 0;
  std::vector<double> fun_history_;  // best and worst loss of recent generations (tolfun)
};

}  // namespace slipway::tune
