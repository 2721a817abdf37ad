#include "tune/sorted_history.h"

#include <algorithm>

namespace slipway::tune {

void SortedHistory::sync(const std::vector<Observation>& h, size_t dims) {
  bool valid = seen_.size() <= h.size() && order_.size() == dims;
  for (size_t i = 0; valid && i < seen_.size(); ++i)
    valid = seen_[i].empty() || (h[i].finished && h[i].u == seen_[i]);
  if (!valid) {
    seen_.clear();
    order_.assign(dims, {});
  }
  seen_.resize(h.size());
  std::vector<std::uint32_t> fresh;
  for (size_t i = 0; i < h.size(); ++i)
    if (h[i].finished && seen_[i].empty()) {
      seen_[i] = h[i].u;
      fresh.push_back(static_cast<std::uint32_t>(i));
    }
  for (size_t d = 0; d < dims; ++d) {
    auto before = [this, d](std::uint32_t a, std::uint32_t b) {
      return seen_[a][d] < seen_[b][d] || (seen_[a][d] == seen_[b][d] && a < b);
    };
    auto& o = order_[d];
    if (fresh.size() > 16) {
      o.insert(o.end(), fresh.begin(), fresh.end());
      std::sort(o.begin(), o.end(), before);
    } else {
      for (std::uint32_t t : fresh) o.insert(std::upper_bound(o.begin(), o.end(), t, before), t);
    }
  }
  size_ = h.size();
}

}  // namespace slipway::tune
