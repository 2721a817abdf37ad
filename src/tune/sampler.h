// Samplers: what to try next, given what was tried. All work in the search space's unit cube and
// are deterministic: the suggestions are a function of the seed, the history and the trial
// number, so a resumed sweep suggests what the unbroken one would have.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "tune/sweep_spec.h"

namespace slipway::tune {

struct Observation {
  std::vector<double> u;  // the trial's point in the unit cube
  double loss = 0;        // the objective, negated when maximizing: lower is better
  bool finished = false;  // false: still running (its loss is unknown)
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  // Up to n new points (fewer when the space is exhausted, as a grid is).
  virtual std::vector<std::vector<double>> suggest(const std::vector<Observation>& history,
                                                   int n) = 0;
};

// random, grid, sobol, tpe, multivariate-tpe, bayesianoptimization, cmaes (and the samplers of
// asha, hyperband and pbt); an error naming what is not available.
Result<std::unique_ptr<Sampler>> make_sampler(const SweepSpec& spec);

// A 64-bit seed for trial `index` of a sweep seeded with `seed` (splitmix64 of both).
std::uint64_t trial_seed(std::uint64_t seed, std::uint64_t index);

// The Sobol sequence (Joe and Kuo's direction numbers), up to kSobolMaxDims dimensions; point i in
// [0, 1)^dims.
constexpr int kSobolMaxDims = 21;
std::vector<double> sobol_point(std::uint64_t index, int dims);

// Tree-structured Parzen estimators (Bergstra et al. 2011; Optuna's defaults): univariate or
// multivariate (one kernel per observation over all dimensions together).
std::unique_ptr<Sampler> make_tpe_sampler(const SweepSpec& spec, bool multivariate);

// Gaussian-process Bayesian optimization (gp_sampler.cc): Katib's bayesianoptimization.
std::unique_ptr<Sampler> make_gp_sampler(const SweepSpec& spec);

// CMA-ES (cma_es_sampler.cc): Katib's cmaes; an error names a bad setting.
Result<std::unique_ptr<Sampler>> make_cma_es_sampler(const SweepSpec& spec);

}  // namespace slipway::tune
