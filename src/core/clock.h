// Wall-clock helpers. Policies take time as an argument (injected), so only the edges call these.
#pragma once

#include <cstdint>
#include <string>

namespace slipway {

std::int64_t now_ms();                    // milliseconds since the Unix epoch
std::string iso8601_ms(std::int64_t ms);  // "2026-11-23T11:22:33.456Z"
std::string random_hex(size_t chars);     // from /dev/urandom, for ids
// A random (version 4) UUID, lower-case with dashes: the ids Kubeflow's API clients expect.
std::string random_uuid();

}  // namespace slipway
