#pragma once
/// The JSON reader for request bodies: strict RFC 8259 into nlohmann::json, about three times
/// faster than nlohmann::json::parse on AdmissionReviews, with a nesting limit built in (no separate
/// pre-scan) and errors that name the line, column and byte.
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

#include "gopreflight/webhook/admission.hpp"
#include "gopreflight/webhook/parsed.hpp"

namespace gopreflight::webhook {

/// Parses `text` as one JSON value. Errors start with "JSON nests deeper than N levels" (refused
/// before anything deeper is built) or "not valid JSON: line L, column C (byte B): what was found".
///
/// Object members named in `skip_members` (at any depth) are checked exactly like the rest, so a
/// malformed one is still an error, but left out of the value: the engine skips
/// metadata.managedFields, which it never reads and which is often the largest part of a review.
Parsed<nlohmann::json> read_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth,
                                 std::span<const std::string_view> skip_members = {});

/// Chooses, member by member, which parts of a document read_json builds, for readers that know
/// where in a document they are (the engine leaves out what no rule reads). States are small
/// integers the filter defines: the document's top value is in state 0, and a value in state
/// kKeepAll is built whole without asking. A skipped member is checked exactly as a built one
/// (same errors, same nesting limit) but left out.
class JsonFilter {
 public:
  static constexpr int kSkip = -1;     ///< leave this member out
  static constexpr int kKeepAll = -2;  ///< build this value and everything in it
  virtual ~JsonFilter() = default;
  /// The state of member `key` of an object in state `parent` (>= 0), or kSkip / kKeepAll. Must
  /// answer the same for the same (parent, key) within one object, so that duplicates of a key
  /// are all kept (the last wins) or all skipped.
  virtual int member(int parent, std::string_view key) = 0;
  /// The state of every element of an array in state `parent` (>= 0).
  virtual int element(int parent) = 0;
  /// A string value was read in state `state` (>= 0), before anything after it in the document.
  virtual void string_value(int state, std::string_view value) = 0;
};

/// read_json with a filter (null: none). `skip_members` still applies at any depth.
Parsed<nlohmann::json> read_json(std::string_view text, std::size_t max_depth,
                                 std::span<const std::string_view> skip_members, JsonFilter* filter);

/// Empties `v` depth first, leaving an empty object or array (scalars are left as they are). Same
/// result as letting it go out of scope, at about half of nlohmann's cost, which moves every value
/// through an explicit stack to bound recursion. Recursion here is as deep as the value: use it
/// on values from read_json, whose depth is limited.
void release_json(nlohmann::json& v) noexcept;

}  // namespace gopreflight::webhook
