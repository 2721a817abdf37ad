// The distributed sampler: which training rows each rank takes at each step.
//
// Every epoch is a permutation of the rows drawn from (seed, epoch) alone; a step takes the next
// global batch of it, and rank r of W takes its r-th contiguous share. A partial batch at the end
// of an epoch is dropped, so every step has the same global batch. The whole state is (epoch,
// offset), which checkpoints carry: a resumed run continues mid-epoch with the same rows.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "models/checkpoint.h"

namespace slipway::train {

class DistributedSampler {
 public:
  DistributedSampler(std::uint64_t rows, int global_batch, int world, std::uint64_t seed);
  static Status check(std::uint64_t rows, int global_batch, int world);

  // This step's rows for `rank`; advances the state.
  std::vector<std::uint64_t> next(int rank);
  const models::SamplerState& state() const { return state_; }
  void restore(const models::SamplerState& s);
  std::int64_t steps_per_epoch() const {
    return static_cast<std::int64_t>(rows_ / static_cast<std::uint64_t>(batch_));
  }

  // The permutation of an epoch (Fisher–Yates over mt19937_64: the same on every platform).
  static std::vector<std::uint64_t> permutation(std::uint64_t rows, std::uint64_t seed,
                                                std::int64_t epoch);

 private:
  std::uint64_t rows_;
  int batch_, world_;
  std::uint64_t seed_;
  models::SamplerState state_;
  std::vector<std::uint64_t> perm_;
  std::int64_t perm_epoch_ = -1;
};

}  // namespace slipway::train
