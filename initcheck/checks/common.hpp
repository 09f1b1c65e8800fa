#pragma once
/// Small helpers shared by the check files: parsing text read from /proc and /sys and building
/// results. Parsers are pure and tested on literal strings (tests/checks/common_test.cpp).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck::checks {

/// Strips ASCII whitespace at both ends.
std::string_view trim(std::string_view s);

/// Splits on runs of ASCII whitespace.
std::vector<std::string_view> split_ws(std::string_view s);

/// A whole decimal integer (surrounding whitespace allowed, nothing else); nullopt otherwise.
std::optional<std::int64_t> parse_int(std::string_view s);

/// A check body: its own catalog entry (id, severity), the readings and its settings.
using CheckBody = std::function<CheckResult(const CheckDef&, const Context&, const nlohmann::json&)>;

/// Builds a catalog entry whose `run` hands `body` the entry itself.
CheckDef define_check(std::string id, std::string title, std::string explain, std::string scope,
                      Severity severity, nlohmann::json defaults, CheckBody body);

/// Starts a result for `def` with its id and severity already set.
CheckResult make_result(const CheckDef& def, const nlohmann::json& settings);

/// Applies severity: with Severity::warning a fail is reported as warn.
CheckResult finish(CheckResult r);

/// "`value` (`path`)": the observed field always names where a value came from.
std::string observed_at(std::string_view value, std::string_view path);

/// An error result for a reading that could not be made (never pass for what was not read).
CheckResult read_error(CheckResult r, std::string_view what);

}  // namespace gopreflight::initcheck::checks
