#pragma once
/// Parsing of <procfs>/self/limits (the process's resource limits, as getrlimit(2) reports them).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "gopreflight/initcheck/result.hpp"

namespace gopreflight::initcheck::checks {

/// One limit value: a number or "unlimited" (RLIM_INFINITY).
struct LimitValue {
  bool unlimited = false;
  std::uint64_t value = 0;
  bool operator==(const LimitValue&) const = default;
};

/// One row: "Max open files            1024                 1048576              files".
struct LimitRow {
  LimitValue soft;
  LimitValue hard;
  std::string units;  ///< may be empty ("Max nice priority")
};

/// Rows keyed by their name ("Max open files").
using ProcLimits = std::map<std::string, LimitRow, std::less<>>;

/// "unlimited" or a decimal number that fits in 64 bits.
Result<LimitValue> parse_limit_value(std::string_view text);

/// Parses the whole file: a "Limit ... Soft Limit ... Hard Limit ... Units" header, then rows.
/// Errors name the line number and what was wrong (bad value, duplicate row, soft above hard).
Result<ProcLimits> parse_proc_limits(std::string_view text);

/// "unlimited" or the number.
std::string to_string(const LimitValue& v);

}  // namespace gopreflight::initcheck::checks
