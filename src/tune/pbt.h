// Population-based training (Jaderberg et al. 2017; Katib's pbt). A population of n_population
// members trains in generations: each trial is one member training for one generation, from a
// checkpoint directory of its own that starts as a copy of its parent's. When a generation has
// finished, each member's next trial is decided by truncation selection: a member whose result
// is in the bottom truncation_threshold of its generation exploits, taking a random member of
// the top truncation_threshold's checkpoint and hyperparameters; every member then explores,
// its hyperparameters perturbed (numbers ×0.8 or ×1.2, a list's neighbour) or, with
// resample_probability, drawn anew. A member whose trial failed is tried again as it was.
//
// The decisions are a function of the trials and the seed, so a resumed sweep decides what the
// unbroken one would have; a trial's member, generation and parent are in the store.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "store/records.h"
#include "tune/sweep_spec.h"

namespace slipway::tune {

struct PbtSettings {
  int population = 10;
  double truncation = 0.2;
  std::optional<double> resample_probability;  // none: perturb
};

// Katib's settings (n_population >= 5, truncation_threshold in [0, 1], resample_probability in
// [0, 1]; Katib requires those two and suggestion_trial_dir), with defaults for the native
// format; an error names the setting. suggestion_trial_dir is where Katib mounts a trial's
// checkpoint directory inside its container: slipway runs no container, so that path in the
// trial's command becomes the trial's own directory (trial_command; native sweeps write
// ${checkpoint_dir}).
Result<PbtSettings> pbt_settings(const SweepSpec& spec);

struct PbtStep {
  int member = 0, generation = 0;
  int parent = -1;     // the trial whose checkpoint this one copies; -1: a fresh start
  bool fresh = false;  // a new member of generation 0: the caller draws its point
  Json params;         // otherwise its hyperparameters
};

class Pbt {
 public:
  Pbt(const SweepSpec& spec, PbtSettings settings)
      : space_(spec.space), seed_(spec.seed), s_(std::move(settings)) {}
  // What to start in a free slot, or nothing: the next generation waits for this one's results.
  std::optional<PbtStep> next(const std::vector<store::TrialRecord>& trials, bool maximize) const;
  // A member's hyperparameters explored (perturbed or resampled), deterministically from `seed`.
  Json explore(const Json& params, std::uint64_t seed) const;
  const PbtSettings& settings() const { return s_; }

 private:
  SearchSpace space_;
  std::uint64_t seed_;
  PbtSettings s_;
};

// numpy's default quantile (linear interpolation between order statistics), as Katib's pbt
// computes its truncation bounds.
double linear_quantile(std::vector<double> values, double q);

}  // namespace slipway::tune
