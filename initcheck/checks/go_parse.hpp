#pragma once
/// The downward-API env values the webhook injects. Pure, tested on strings. (GOMEMLIMIT and
/// GOMAXPROCS syntax and advice are the common library's: gopreflight/common/go_units.hpp.)
#include <cstdint>
#include <optional>
#include <string_view>

#include "gopreflight/initcheck/result.hpp"

namespace gopreflight::initcheck::checks {

/// Downward-API value: a non-negative integer, or the literal "unlimited" (nullopt).
Result<std::optional<std::int64_t>> parse_downward_limit(std::string_view text);

}  // namespace gopreflight::initcheck::checks
