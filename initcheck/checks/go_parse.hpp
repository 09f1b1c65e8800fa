#pragma once
/// Go runtime setting syntax: GOMEMLIMIT (runtime/debug.SetMemoryLimit's byte-count form) and
/// GOMAXPROCS, plus the downward-API env values the webhook injects. Pure, tested on strings.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gopreflight/initcheck/result.hpp"

namespace gopreflight::initcheck::checks {

/// GOMEMLIMIT: "off" (nullopt), or a non-negative decimal integer with an optional unit
/// B, KiB, MiB, GiB or TiB ("966367641", "922MiB"). Anything else is what the Go runtime
/// rejects at start-up ("malformed GOMEMLIMIT").
Result<std::optional<std::int64_t>> parse_gomemlimit(std::string_view text);

/// GOMAXPROCS: a positive decimal integer (the runtime ignores anything else).
Result<std::int64_t> parse_gomaxprocs(std::string_view text);

/// The recommended GOMEMLIMIT for a limit: floor(ratio * limit) rounded to the nearest MiB (kept below the limit) and
/// printed in Go syntax ("922MiB"); below 1 MiB, exact bytes ("524288B").
std::string recommend_gomemlimit(std::int64_t limit_bytes, double ratio);

/// Bytes of a recommended value as printed by recommend_gomemlimit.
std::int64_t recommended_gomemlimit_bytes(std::int64_t limit_bytes, double ratio);

/// GOMAXPROCS for a CPU limit in millicores: max(1, ceil(millicores / 1000)).
std::int64_t recommend_gomaxprocs_millicores(std::int64_t millicores);

/// Downward-API value: a non-negative integer, or the literal "unlimited" (nullopt).
Result<std::optional<std::int64_t>> parse_downward_limit(std::string_view text);

}  // namespace gopreflight::initcheck::checks
