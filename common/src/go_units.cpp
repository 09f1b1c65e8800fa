// Go runtime units (see go_units.hpp).
#include "gopreflight/common/go_units.hpp"

#include <cmath>
#include <limits>

namespace gopreflight::common {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kKiB = std::int64_t{1} << 10;
constexpr std::int64_t kMiB = std::int64_t{1} << 20;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string quoted(std::string_view s) {
  return "\"" + std::string(s.substr(0, 64)) + (s.size() > 64 ? "..." : "") + "\"";
}

/// The rounding unit for a target (see recommended_gomemlimit_bytes) and its Go suffix.
struct Unit {
  std::int64_t size;
  const char* suffix;
};
Unit unit_for(long double target) {
  if (target >= static_cast<long double>(16 * kMiB)) return {kMiB, "MiB"};
  if (target >= static_cast<long double>(16 * kKiB)) return {kKiB, "KiB"};
  return {1, ""};
}

}  // namespace

Result<GoMemLimit> parse_gomemlimit(std::string_view s) {
  if (s == "off") return GoMemLimit{true, 0};
  if (s.empty()) return fail("empty value");
  std::string_view num = s;
  std::uint64_t mult = 1;
  if (s.back() == 'B') {
    num = s.substr(0, s.size() - 1);
    if (!num.empty() && num.back() == 'i') {
      if (num.size() < 3) return fail(quoted(s) + " has no digits before the unit");
      switch (num[num.size() - 2]) {
        case 'K': mult = 1ULL << 10; break;
        case 'M': mult = 1ULL << 20; break;
        case 'G': mult = 1ULL << 30; break;
        case 'T': mult = 1ULL << 40; break;
        default: return fail(quoted(s) + " has an unknown unit (Go accepts B, KiB, MiB, GiB, TiB)");
      }
      num = num.substr(0, num.size() - 2);
    }
  }
  bool neg = false;
  if (!num.empty() && num[0] == '-') {
    neg = true;
    num.remove_prefix(1);
  }
  if (num.empty()) return fail(quoted(s) + " has no digits");
  std::uint64_t n = 0;
  for (char c : num) {
    if (!is_digit(c)) {
      return fail(quoted(s) +
                  " is not Go syntax (a byte count with an optional B, KiB, MiB, GiB or TiB suffix; no fractions, no MB/GB)");
    }
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return fail(quoted(s) + " overflows a 64-bit byte count");
    n = n * 10 + d;
  }
  if (neg && n != 0) return fail(quoted(s) + " is negative");
  if (n > static_cast<std::uint64_t>(kInt64Max) / mult) return fail(quoted(s) + " overflows a 64-bit byte count");
  return GoMemLimit{false, static_cast<std::int64_t>(n * mult)};
}

Result<std::int64_t> parse_gomaxprocs(std::string_view s) {
  if (s.empty() || s.size() > 10) return fail(quoted(s) + " is not a positive integer");
  std::int64_t n = 0;
  for (char c : s) {
    if (!is_digit(c)) return fail(quoted(s) + " is not a positive integer");
    n = n * 10 + (c - '0');
  }
  if (n <= 0 || n > 2147483647) return fail(quoted(s) + " is not a positive integer up to 2147483647");
  return n;
}

std::string format_go_bytes(std::int64_t bytes) {
  static constexpr Unit units[] = {{1LL << 40, "TiB"}, {1LL << 30, "GiB"}, {1LL << 20, "MiB"}, {1LL << 10, "KiB"}};
  if (bytes > 0) {
    for (const auto& u : units) {
      if (bytes % u.size == 0) return std::to_string(bytes / u.size) + u.suffix;
    }
  }
  return std::to_string(bytes);
}

std::int64_t recommended_gomemlimit_bytes(std::int64_t limit_bytes, double ratio) {
  if (limit_bytes <= 0) return 0;
  if (!(ratio > 0.0) || ratio > 1.0) ratio = 0.9;
  const long double target = static_cast<long double>(limit_bytes) * static_cast<long double>(ratio);
  const Unit u = unit_for(target);
  if (u.size == 1) {
    auto n = static_cast<std::int64_t>(std::floor(target));
    return n >= limit_bytes ? limit_bytes - 1 : n;
  }
  auto n = static_cast<std::int64_t>(std::llround(target / static_cast<long double>(u.size)));
  while (n > 0 && n * u.size >= limit_bytes) --n;
  return n * u.size;
}

std::string recommend_gomemlimit(std::int64_t limit_bytes, double ratio) {
  if (limit_bytes <= 0) return "0";
  if (!(ratio > 0.0) || ratio > 1.0) ratio = 0.9;
  const Unit u = unit_for(static_cast<long double>(limit_bytes) * static_cast<long double>(ratio));
  return std::to_string(recommended_gomemlimit_bytes(limit_bytes, ratio) / u.size) + u.suffix;
}

std::int64_t recommend_gomaxprocs(std::int64_t millicores) {
  if (millicores <= 1000) return 1;
  return (millicores + 999) / 1000;
}

}  // namespace gopreflight::common
