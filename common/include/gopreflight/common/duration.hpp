#pragma once
/// Durations as gopreflight-check reads them from flags, its config file and probe arguments:
/// one parser, so a value that passes the flag check is one the probe accepts.
#include <chrono>
#include <string>
#include <string_view>

#include "gopreflight/result.hpp"

namespace gopreflight::common {

/// Go-style duration: one or more <number><unit>, unit ms, s, m or h, the number with an optional
/// fraction ("2s", "500ms", "1m30s", "1.5s"). Refused: no unit, other units, blanks, signs, and
/// anything longer than `max` (the message names the bound).
Result<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                 std::chrono::milliseconds max = std::chrono::hours(24));

/// A duration in the largest unit that divides it exactly: "24h", "10m", "90s", "250ms".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace gopreflight::common
