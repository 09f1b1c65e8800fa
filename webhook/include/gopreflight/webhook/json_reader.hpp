#pragma once
/// A strict RFC 8259 reader into nlohmann::json, with a nesting limit built in and errors that name
/// the line, column and byte. The engine reads request bodies with JsonDocument (json_document.hpp);
/// this reader gives the texts of its errors (a refused body is read again here to say where it
/// is wrong), and reads JSON the engine builds as nlohmann::json.
///
/// For every input it accepts, the value is exactly what nlohmann::json::parse returns (same
/// number types: unsigned, integer, float; last duplicate key wins; a leading UTF-8 BOM skipped);
/// it rejects exactly what nlohmann rejects (invalid UTF-8, raw control characters, lone
/// surrogates, bad numbers, trailing bytes), and also a raw NUL byte, which nlohmann takes as the
/// end of the input ("4\0garbage" is 4 to it). tests/fuzz/fuzz_json.cpp checks that equivalence.
#include <cstddef>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gopreflight/result.hpp"
#include "gopreflight/webhook/json_document.hpp"

namespace gopreflight::webhook {

/// Parses `text` as one JSON value. Errors start with "JSON nests deeper than N levels" (refused
/// before anything deeper is built) or "not valid JSON: line L, column C (byte B): what was found".
///
/// Object members named in `skip_members` (at any depth) are checked exactly like the rest, so a
/// malformed one is still an error, but left out of the value.
Result<nlohmann::json> read_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth,
                                 std::span<const std::string_view> skip_members = {});

/// Empties `v` depth first, leaving an empty object or array (scalars are left as they are). Same
/// result as letting it go out of scope, at about half of nlohmann's cost, which moves every value
/// through an explicit stack to bound recursion. Recursion here is as deep as the value: use it
/// on values from read_json, whose depth is limited.
void release_json(nlohmann::json& v) noexcept;

}  // namespace gopreflight::webhook
