// Parsers for Go runtime settings (see go_parse.hpp).
#include "checks/go_parse.hpp"

#include <cmath>
#include <limits>

#include "checks/common.hpp"

namespace gopreflight::initcheck::checks {

namespace {
constexpr std::int64_t kMiB = std::int64_t{1} << 20;
std::string clip(std::string_view s) { return std::string(s.substr(0, 64)) + (s.size() > 64 ? "..." : ""); }
}  // namespace

Result<std::optional<std::int64_t>> parse_gomemlimit(std::string_view text) {
  // The Go runtime does not trim; a value with spaces is malformed there too.
  if (text == "off") return std::optional<std::int64_t>{};
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}, {"B", 0}};
  std::string_view digits = text;
  int shift = 0;
  for (auto [suffix, sh] : kUnits) {
    if (digits.size() > suffix.size() && digits.substr(digits.size() - suffix.size()) == suffix) {
      digits.remove_suffix(suffix.size());
      shift = sh;
      break;
    }
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return fail("GOMEMLIMIT \"" + clip(text) +
                "\" is malformed: expected \"off\" or an integer with an optional unit B, KiB, MiB, GiB, TiB");
  }
  auto v = parse_int(digits);
  if (!v || *v > (std::numeric_limits<std::int64_t>::max() >> shift)) {
    return fail("GOMEMLIMIT \"" + clip(text) + "\" overflows a 64-bit byte count");
  }
  return std::optional<std::int64_t>{*v << shift};
}

Result<std::int64_t> parse_gomaxprocs(std::string_view text) {
  auto v = parse_int(text);
  if (!v || *v <= 0 || trim(text).size() != text.size()) {
    return fail("GOMAXPROCS \"" + clip(text) + "\" is not a positive integer (the Go runtime ignores it)");
  }
  return *v;
}

std::int64_t recommended_gomemlimit_bytes(std::int64_t limit_bytes, double ratio) {
  const double raw = std::floor(static_cast<double>(limit_bytes) * ratio);
  const auto bytes = static_cast<std::int64_t>(raw);
  if (bytes < kMiB) return bytes;
  // Nearest MiB, as the webhook's goRuntime rule and injector print it, but never at or above
  // the limit itself (a GOMEMLIMIT equal to the limit leaves no room for non-heap memory).
  const std::int64_t nearest = (bytes + kMiB / 2) / kMiB * kMiB;
  return nearest < limit_bytes ? nearest : bytes / kMiB * kMiB;
}

std::string recommend_gomemlimit(std::int64_t limit_bytes, double ratio) {
  const auto bytes = recommended_gomemlimit_bytes(limit_bytes, ratio);
  if (bytes >= kMiB) return std::to_string(bytes / kMiB) + "MiB";
  return std::to_string(bytes) + "B";
}

std::int64_t recommend_gomaxprocs_millicores(std::int64_t millicores) {
  if (millicores <= 1000) return 1;
  return (millicores + 999) / 1000;
}

Result<std::optional<std::int64_t>> parse_downward_limit(std::string_view text) {
  auto s = trim(text);
  if (s == "unlimited") return std::optional<std::int64_t>{};
  auto v = parse_int(s);
  if (!v || *v < 0) return fail("\"" + clip(s) + "\" is neither a non-negative integer nor \"unlimited\"");
  return std::optional<std::int64_t>{*v};
}

}  // namespace gopreflight::initcheck::checks
