#pragma once
/// Request bodies as a parsed JSON document (simdjson's DOM parser, Debian libsimdjson-dev): the
/// one reading of the bytes that the decoders (admission.hpp, pod_decode.hpp) turn into the typed
/// model. Strict: the whole document is validated (RFC 8259 syntax, UTF-8, numbers, literals), its
/// nesting is limited, and an object with a duplicate key is refused. The error texts of malformed
/// JSON are those of read_json (json_reader.hpp), which re-reads a refused body only to name the
/// line, column and byte.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "gopreflight/result.hpp"

namespace gopreflight::webhook {

inline constexpr std::size_t kMaxJsonDepth = 256;                 ///< deeper bodies are refused
inline constexpr std::size_t kMaxReviewBytes = 16u * 1024u * 1024u; ///< 16 MiB: above any real review

using JsonValue = simdjson::dom::element;

/// A parsed document; values read from it (JsonValue, string_views) live as long as it does.
class JsonDocument {
 public:
  /// Reads `text` as one JSON value (a leading UTF-8 BOM is skipped). Errors: "JSON nests deeper
  /// than N levels", "not valid JSON: line L, column C (byte B): ...", or
  /// "duplicate key \"k\" in <path>" (the path of the object inside the document, "" = the top).
  static Result<std::unique_ptr<JsonDocument>> read(std::string_view text,
                                                    std::size_t max_depth = kMaxJsonDepth);
  JsonValue root() const { return root_; }

  JsonDocument();
  ~JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

 private:
  /// From a small per-thread pool: a parser keeps its buffers between documents (64 KiB capacity).
  std::unique_ptr<simdjson::dom::parser> parser_;
  JsonValue root_;
};

/// The type name used in messages: "null", "object", "list", "string", "boolean", "integer",
/// "number".
std::string_view json_type_name(JsonValue v);

/// Both values equal as JSON (object members in any order; numbers by value, as nlohmann
/// compares them).
bool json_equal(JsonValue a, JsonValue b);

/// Compact JSON text of `v` (members in document order).
std::string json_text(JsonValue v);

}  // namespace gopreflight::webhook
