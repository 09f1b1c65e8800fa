#pragma once
/// Go runtime settings as both programs read, judge and recommend them: GOMEMLIMIT (the Go
/// runtime's byte-count syntax) and GOMAXPROCS. One parser, one rounding: the webhook's injected
/// GOMEMLIMIT, its goRuntime advice and gopreflight-check's recommendation are the same string.
#include <cstdint>
#include <string>
#include <string_view>

#include "gopreflight/result.hpp"

namespace gopreflight::common {

/// A GOMEMLIMIT value: "off", or a byte count.
struct GoMemLimit {
  bool off = false;
  std::int64_t bytes = 0;
};

/// GOMEMLIMIT as the Go runtime reads it (runtime.parseByteCount): "off", or a decimal byte count
/// with an optional suffix B, KiB, MiB, GiB or TiB ("922MiB", "966367641"). A leading '-' is read
/// as Go reads it: "-0" is 0, any other negative value is refused. No blanks, fractions or MB/GB.
Result<GoMemLimit> parse_gomemlimit(std::string_view s);

/// GOMAXPROCS: a positive decimal integer up to 2^31-1, no blanks (the runtime ignores anything else).
Result<std::int64_t> parse_gomaxprocs(std::string_view s);

/// A byte count the way a person writes GOMEMLIMIT: the largest of TiB/GiB/MiB/KiB that divides
/// it exactly, else plain bytes ("922MiB", "1GiB", "1536").
std::string format_go_bytes(std::int64_t bytes);

/// The recommended GOMEMLIMIT bytes for `ratio` (0 < ratio <= 1; else 0.9) of `limit_bytes`:
/// rounded to the nearest MiB when the target is at least 16 MiB, else to the nearest KiB when it
/// is at least 16 KiB, else down to whole bytes; never at or above the limit.
std::int64_t recommended_gomemlimit_bytes(std::int64_t limit_bytes, double ratio);

/// recommended_gomemlimit_bytes printed in Go syntax, in the unit it was rounded to:
/// "922MiB" (1Gi at 0.9), "4608KiB" (5Mi at 0.9), "9216" (10Ki at 0.9); "0" for no limit.
std::string recommend_gomemlimit(std::int64_t limit_bytes, double ratio);

/// GOMAXPROCS for a CPU limit in millicores: max(1, ceil(millicores / 1000)).
std::int64_t recommend_gomaxprocs(std::int64_t millicores);

}  // namespace gopreflight::common
