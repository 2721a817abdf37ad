// A per-dimension order of the finished trials of a sweep's history, kept by TPE across
// suggestions (tpe.cc).
#pragma once

#include <cstdint>
#include <vector>

#include "tune/sampler.h"

namespace slipway::tune {

// The finished trials ordered along each dimension, kept across suggestions: a new trial is
// inserted in O(n) instead of every dimension being sorted again (O(n log n) each) per suggestion.
// It checks itself against the history it is given and starts over if that was not an extension
// of the last one (a trial gone, changed, or no longer finished).
class SortedHistory {
 public:
  // Brings the order up to date with h; O(n) when h extends the last history, a sort otherwise.
  void sync(const std::vector<Observation>& h, size_t dims);
  // Whether the order was synced with a history of this length.
  bool ready(size_t history_size) const { return size_ == history_size && !order_.empty(); }
  const std::vector<std::uint32_t>& order(size_t d) const { return order_[d]; }

 private:
  std::vector<std::vector<double>> seen_;          // by trial: its point once finished, else empty
  std::vector<std::vector<std::uint32_t>> order_;  // per dimension: finished trials by coordinate
  size_t size_ = 0;
};

}  // namespace slipway::tune
