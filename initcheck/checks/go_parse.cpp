// Parsers for the downward-API values (see go_parse.hpp).
#include "checks/go_parse.hpp"

#include "checks/common.hpp"

namespace gopreflight::initcheck::checks {

namespace {
std::string clip(std::string_view s) { return std::string(s.substr(0, 64)) + (s.size() > 64 ? "..." : ""); }
}  // namespace

Result<std::optional<std::int64_t>> parse_downward_limit(std::string_view text) {
  auto s = trim(text);
  if (s == "unlimited") return std::optional<std::int64_t>{};
  auto v = parse_int(s);
  if (!v || *v < 0) return fail("\"" + clip(s) + "\" is neither a non-negative integer nor \"unlimited\"");
  return std::optional<std::int64_t>{*v};
}

}  // namespace gopreflight::initcheck::checks
