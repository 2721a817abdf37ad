// Parsing of the quantities users write in pipeline files: durations ("90s", "1h30m", "250ms"),
// memory ("512Mi", "2G", "1024"), CPUs ("2", "0.5", "500m").
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace slipway {

// Milliseconds. A bare number means seconds.
Result<std::int64_t> parse_duration_ms(const std::string& text);
std::string format_duration_ms(std::int64_t ms);

// Bytes. Binary (Ki, Mi, Gi, Ti) and decimal (k/K, M, G, T) suffixes; a bare number is bytes.
Result<std::int64_t> parse_memory_bytes(const std::string& text);

// Thousandths of a CPU, so "500m" and "0.5" are the same request.
Result<std::int64_t> parse_millicpus(const std::string& text);

}  // namespace slipway
