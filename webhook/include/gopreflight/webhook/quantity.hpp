#pragma once
/// Kubernetes resource quantities ("512Mi", "1.5Gi", "500m", "1e3") and Go's GOMEMLIMIT byte
/// counts ("1800MiB", "2GiB", "123456", "off"). Pure parsers: strings in, values or errors out.
#include <cstdint>
#include <string>
#include <string_view>

#include "gopreflight/webhook/parsed.hpp"

namespace gopreflight::webhook {

/// A parsed Kubernetes quantity, kept exact: sign * mantissa * 10^exp10 * 2^exp2.
struct Quantity {
  bool negative = false;
  std::uint64_t mantissa = 0;  ///< significant decimal digits (at most 19)
  std::int64_t exp10 = 0;
  int exp2 = 0;  ///< 10, 20, ... 60 for Ki ... Ei
  /// The value rounded up (away from zero) to an integer, as resource.Quantity.Value() does;
  /// an error when it does not fit in int64.
  Parsed<std::int64_t> value() const;
  /// The value in thousandths rounded up (away from zero), as Quantity.MilliValue() does.
  Parsed<std::int64_t> milli_value() const;
};

/// Parses the Kubernetes quantity grammar: optional sign, digits with an optional fraction, then
/// one suffix: binary Ki Mi Gi Ti Pi Ei, decimal n u m k M G T P E, or an exponent e<int>/E<int>.
/// Stricter than apimachinery in two documented places: at least one digit is required ("." and
/// "+" are errors) and at most 19 significant digits are accepted.
Parsed<Quantity> parse_quantity(std::string_view s);

/// Go's GOMEMLIMIT: a non-negative byte count with an optional suffix B, KiB, MiB, GiB or TiB,
/// or "off" (no limit). Decimal SI suffixes (MB, GB) and fractions are not Go syntax.
/// Returns the byte count; "off" gives nullopt inside a successful result.
struct GoMemLimit {
  bool off = false;
  std::int64_t bytes = 0;
};
Parsed<GoMemLimit> parse_gomemlimit(std::string_view s);

/// Renders a byte count the way a person would write GOMEMLIMIT: the largest of GiB/MiB/KiB
/// that divides it exactly, else bytes ("922MiB", "1GiB", "1536").
std::string format_go_bytes(std::int64_t bytes);

/// `ratio` of `limit_bytes` in GOMEMLIMIT syntax: rounded to the nearest MiB when the result is at
/// least 16 MiB, else to the nearest KiB, else bytes; never at or above the limit.
std::string recommend_gomemlimit(std::int64_t limit_bytes, double ratio);

}  // namespace gopreflight::webhook
