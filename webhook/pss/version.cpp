// Parsing of PSS levels and versions ("latest", "v1.N"), as PSA's api package accepts them.
#include <charconv>
#include <string>

#include "gopreflight/webhook/pss.hpp"

namespace gopreflight::webhook::pss {

std::optional<Version> Version::parse(std::string_view s) {
  if (s == "latest") return Version{0, true};
  constexpr std::string_view kPrefix = "v1.";
  if (s.size() <= kPrefix.size() || s.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view digits = s.substr(kPrefix.size());
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  if (digits.size() > 4) return std::nullopt;                 // v1.9999 at most: no overflow
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // "v1.01" is not a version
  int minor = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), minor);
  if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
  return Version{minor, false};
}

std::string Version::str() const { return latest ? "latest" : "v1." + std::to_string(minor); }

std::optional<Level> parse_level(std::string_view s) {
  if (s == "privileged") return Level::privileged;
  if (s == "baseline") return Level::baseline;
  if (s == "restricted") return Level::restricted;
  return std::nullopt;
}

std::string_view to_string(Level l) {
  switch (l) {
    case Level::privileged: return "privileged";
    case Level::baseline: return "baseline";
    case Level::restricted: return "restricted";
  }
  return "unknown";
}

}  // namespace gopreflight::webhook::pss
