// Asynchronous successive halving (ASHA, Li et al. 2018) and asynchronous Hyperband (several ASHA
// brackets). A configuration starts at its bracket's smallest budget (rung 0); whenever a slot is
// free, the best configuration in the top 1/eta of a rung that has not moved up yet is promoted
// to the next rung with eta times the budget — the highest rung first, never waiting for a rung
// to fill; with nothing to promote a new configuration starts. Hyperband runs brackets whose rung
// 0 begins at min·eta^b, new configurations assigned to brackets in turn.
#pragma once

#include <optional>
#include <vector>

#include "store/records.h"
#include "tune/sampler.h"
#include "tune/sweep_spec.h"

namespace slipway::tune {

struct AshaStep {
  std::optional<size_t>
      promote;  // index of the trial whose configuration moves up, or a new configuration
  int bracket = 0, rung = 0;
  double budget = 0;
};

class Asha {
 public:
  explicit Asha(const SweepSpec& spec);
  int brackets() const { return brackets_; }
  double budget(int bracket, int rung) const;
  int top_rung(int bracket) const;
  // What to start in a free slot; `next_config` is the number a new configuration gets.
  AshaStep next(const std::vector<store::TrialRecord>& trials, bool maximize,
                int next_config) const;

 private:
  double min_, max_, eta_;
  int brackets_ = 1;
};

// What a sampler of a multi-fidelity sweep learns from. Results at different budgets do not
// compare, and a promoted configuration has one trial per rung: the sampler sees one budget, the
// largest with enough results to model (BOHB's rule: dimensions + 2), else the smallest, one
// observation per configuration; configurations still training count as running.
std::vector<Observation> multi_fidelity_history(const std::vector<store::TrialRecord>& trials,
                                                bool maximize, size_t dims);

}  // namespace slipway::tune
