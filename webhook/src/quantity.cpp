// Kubernetes resource.Quantity parsing, exact and without exceptions.
#include "gopreflight/webhook/quantity.hpp"

#include <limits>

namespace gopreflight::webhook {
namespace {

__extension__ typedef unsigned __int128 u128;  // exact intermediate for mantissa * 2^60 * 10^k

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr int kMaxSignificantDigits = 19;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// The decimal or binary meaning of a quantity suffix; false when the suffix is not one.
bool interpret_suffix(std::string_view suf, std::int64_t& exp10, int& exp2, std::string& error) {
  exp10 = 0;
  exp2 = 0;
  if (suf.empty()) return true;
  if (suf.size() == 2 && suf[1] == 'i') {
    switch (suf[0]) {
      case 'K': exp2 = 10; return true;
      case 'M': exp2 = 20; return true;
      case 'G': exp2 = 30; return true;
      case 'T': exp2 = 40; return true;
      case 'P': exp2 = 50; return true;
      case 'E': exp2 = 60; return true;
      default: break;
    }
  }
  if (suf.size() == 1) {
    switch (suf[0]) {
      case 'n': exp10 = -9; return true;
      case 'u': exp10 = -6; return true;
      case 'm': exp10 = -3; return true;
      case 'k': exp10 = 3; return true;
      case 'M': exp10 = 6; return true;
      case 'G': exp10 = 9; return true;
      case 'T': exp10 = 12; return true;
      case 'P': exp10 = 15; return true;
      case 'E': exp10 = 18; return true;
      default: break;
    }
  }
  if (suf.size() > 1 && (suf[0] == 'e' || suf[0] == 'E')) {
    std::string_view rest = suf.substr(1);
    bool neg = false;
    if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
      neg = rest[0] == '-';
      rest.remove_prefix(1);
    }
    if (rest.empty()) {
      error = "exponent \"" + std::string(suf) + "\" has no digits";
      return false;
    }
    std::int64_t e = 0;
    for (char c : rest) {
      if (!is_digit(c)) {
        error = "exponent \"" + std::string(suf) + "\" is not an integer";
        return false;
      }
      e = e * 10 + (c - '0');
      if (e > std::numeric_limits<std::int32_t>::max()) {
        error = "exponent \"" + std::string(suf) + "\" is out of range";
        return false;
      }
    }
    exp10 = neg ? -e : e;
    return true;
  }
  error = "unknown suffix \"" + std::string(suf) +
          "\" (expected Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent such as e3)";
  return false;
}

/// sign * mantissa * 2^exp2 * 10^e rounded up away from zero, or an error when it overflows int64.
Result<std::int64_t> scaled(const Quantity& q, std::int64_t e) {
  if (q.mantissa == 0) return std::int64_t{0};
  u128 num = static_cast<u128>(q.mantissa) << q.exp2;  // < 2^124
  const u128 limit = static_cast<u128>(kInt64Max);
  if (e >= 0) {
    if (num > limit) {
      return fail("value does not fit in a 64-bit integer");
    }
    for (std::int64_t i = 0; i < e; ++i) {
      num *= 10;
      if (num > limit) {
        return fail("value does not fit in a 64-bit integer");
      }
    }
  } else if (-e >= 38) {
    num = 1;  // |value| < 1 (num < 2^124 < 10^38): rounds up to 1
  } else {
    u128 den = 1;
    for (std::int64_t i = 0; i < -e; ++i) den *= 10;
    const u128 rem = num % den;
    num /= den;
    if (rem != 0) ++num;
    if (num > limit) {
      return fail("value does not fit in a 64-bit integer");
    }
  }
  const auto v = static_cast<std::int64_t>(num);
  return q.negative ? -v : v;
}

}  // namespace

Result<std::int64_t> Quantity::value() const { return scaled(*this, exp10); }
Result<std::int64_t> Quantity::milli_value() const { return scaled(*this, exp10 + 3); }

Result<Quantity> parse_quantity(std::string_view s) {
  if (s.empty()) return fail("empty quantity");
  Quantity q;
  std::size_t pos = 0;
  if (s[0] == '+' || s[0] == '-') {
    q.negative = s[0] == '-';
    pos = 1;
  }
  const std::size_t int_start = pos;
  while (pos < s.size() && is_digit(s[pos])) ++pos;
  const std::string_view int_part = s.substr(int_start, pos - int_start);
  std::string_view frac_part;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t frac_start = ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    frac_part = s.substr(frac_start, pos - frac_start);
  }
  if (int_part.empty() && frac_part.empty()) {
    return fail("\"" + std::string(s) + "\" has no digits (expected a number such as 512Mi, 500m or 2)");
  }
  std::int64_t suffix_exp10 = 0;
  std::string error;
  if (!interpret_suffix(s.substr(pos), suffix_exp10, q.exp2, error)) {
    return fail("\"" + std::string(s) + "\": " + error);
  }
  // Significant digits: int_part followed by frac_part, without leading and trailing zeros.
  std::string digits;
  digits.reserve(int_part.size() + frac_part.size());
  digits.append(int_part);
  digits.append(frac_part);
  std::int64_t exp10 = -static_cast<std::int64_t>(frac_part.size());
  std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    q.negative = false;  // -0 is 0
    return q;
  }
  std::size_t last = digits.find_last_not_of('0');
  exp10 += static_cast<std::int64_t>(digits.size() - 1 - last);
  const std::string_view sig = std::string_view(digits).substr(first, last - first + 1);
  if (sig.size() > static_cast<std::size_t>(kMaxSignificantDigits)) {
    return fail("\"" + std::string(s) + "\" has more than 19 significant digits");
  }
  std::uint64_t m = 0;
  for (char c : sig) m = m * 10 + static_cast<std::uint64_t>(c - '0');
  q.mantissa = m;
  q.exp10 = exp10 + suffix_exp10;
  return q;
}

}  // namespace gopreflight::webhook
