#include "backends/backend.h"

#include <time.h>

#include <algorithm>

#include "core/clock.h"

namespace slipway::backends {

bool sleep_until_poll_due(std::int64_t last_poll_ms, std::int64_t interval_ms,
                          std::int64_t timeout_ms, bool idle) {
  std::int64_t now = now_ms();
  std::int64_t next = last_poll_ms + interval_ms;
  std::int64_t sleep_ms = idle ? timeout_ms : std::min(timeout_ms, next - now);
  if (sleep_ms > 0) {
    struct timespec ts {
      static_cast<time_t>(sleep_ms / 1000), static_cast<long>((sleep_ms % 1000) * 1'000'000)
    };
    nanosleep(&ts, nullptr);
  }
  return !idle && next <= now_ms();
}

}  // namespace slipway::backends
