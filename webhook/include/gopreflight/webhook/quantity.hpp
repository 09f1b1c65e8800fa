#pragma once
/// Kubernetes resource quantities ("512Mi", "1.5Gi", "500m", "1e3"). Pure parser: strings in,
/// values or errors out.
#include <cstdint>
#include <string>
#include <string_view>

#include "gopreflight/common/go_units.hpp"
#include "gopreflight/result.hpp"

namespace gopreflight::webhook {

/// A parsed Kubernetes quantity, kept exact: sign * mantissa * 10^exp10 * 2^exp2.
struct Quantity {
  bool negative = false;
  std::uint64_t mantissa = 0;  ///< significant decimal digits (at most 19)
  std::int64_t exp10 = 0;
  int exp2 = 0;  ///< 10, 20, ... 60 for Ki ... Ei
  /// The value rounded up (away from zero) to an integer, as resource.Quantity.Value() does;
  /// an error when it does not fit in int64.
  Result<std::int64_t> value() const;
  /// The value in thousandths rounded up (away from zero), as Quantity.MilliValue() does.
  Result<std::int64_t> milli_value() const;
};

/// Parses the Kubernetes quantity grammar: optional sign, digits with an optional fraction, then
/// one suffix: binary Ki Mi Gi Ti Pi Ei, decimal n u m k M G T P E, or an exponent e<int>/E<int>.
/// Stricter than apimachinery in two documented places: at least one digit is required ("." and
/// "+" are errors) and at most 19 significant digits are accepted.
Result<Quantity> parse_quantity(std::string_view s);

// GOMEMLIMIT/GOMAXPROCS syntax and advice: the common library's, shared with gopreflight-check.
using common::format_go_bytes;
using common::GoMemLimit;
using common::parse_gomaxprocs;
using common::parse_gomemlimit;
using common::recommend_gomaxprocs;
using common::recommend_gomemlimit;

}  // namespace gopreflight::webhook
