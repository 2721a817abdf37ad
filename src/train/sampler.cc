#include "train/sampler.h"

#include <random>
#include <string>

namespace slipway::train {

DistributedSampler::DistributedSampler(std::uint64_t rows, int global_batch, int world,
                                       std::uint64_t seed)
    : rows_(rows), batch_(global_batch), world_(world), seed_(seed) {}

Status DistributedSampler::check(std::uint64_t rows, int global_batch, int world) {
  if (global_batch % world != 0)
    return InvalidInput("batch_size " + std::to_string(global_batch) + " does not divide among " +
                        std::to_string(world) + " ranks; use a multiple of " +
                        std::to_string(world));
  if (rows < static_cast<std::uint64_t>(global_batch))
    return InvalidInput("the training set has " + std::to_string(rows) +
                        " rows, fewer than one batch of " + std::to_string(global_batch));
  return Status::Ok();
}

std::vector<std::uint64_t> DistributedSampler::permutation(std::uint64_t rows, std::uint64_t seed,
                                                           std::int64_t epoch) {
  std::vector<std::uint64_t> p(rows);
  for (std::uint64_t i = 0; i < rows; ++i) p[i] = i;
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(epoch));
  for (std::uint64_t i = rows; i > 1; --i) {
    std::uint64_t j = rng() % i;  // the slight modulo bias does not matter for shuffling rows
    std::swap(p[i - 1], p[j]);
  }
  return p;
}

void DistributedSampler::restore(const models::SamplerState& s) {
  state_ = s;
  perm_epoch_ = -1;
}

std::vector<std::uint64_t> DistributedSampler::next(int rank) {
  if (state_.offset + batch_ > static_cast<std::int64_t>(rows_)) {
    ++state_.epoch;
    state_.offset = 0;
  }
  if (perm_epoch_ != state_.epoch) {
    perm_ = permutation(rows_, seed_, state_.epoch);
    perm_epoch_ = state_.epoch;
  }
  int local = batch_ / world_;
  std::vector<std::uint64_t> out(
      perm_.begin() + state_.offset + static_cast<std::int64_t>(rank) * local,
      perm_.begin() + state_.offset + static_cast<std::int64_t>(rank + 1) * local);
  state_.offset += batch_;
  return out;
}

}  // namespace slipway::train
