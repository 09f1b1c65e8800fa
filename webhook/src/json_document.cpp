// The parsed JSON document of a request body (simdjson DOM), with the engine's limits.
#include "gopreflight/webhook/json_document.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/json_reader.hpp"

namespace gopreflight::webhook {
namespace {

using simdjson::dom::element_type;

/// Parsers kept per thread, so that a document reuses buffers already allocated and touched. A
/// parser's buffers are ~15 bytes per byte of capacity: 64 KiB of capacity (any real review) is
/// ~1 MiB kept; a parser grown for a bigger body is freed after it. Two: the review's document
/// and one read while it is open (the injected container, decoded by mutate::build_patch).
constexpr std::size_t kPooledParsers = 2;
constexpr std::size_t kPooledCapacity = 64u * 1024u;
thread_local bool t_pool_gone = false;  ///< trivially destructible: readable in any destructor
struct ParserPool {
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers;
  ~ParserPool() { t_pool_gone = true; }  // a document destroyed later (a static) frees its parser
};
thread_local ParserPool t_pool;

/// A key's length and first and last bytes: keys with different signatures differ.
std::uint64_t signature(std::string_view k) {
  if (k.empty()) return 0;
  return (static_cast<std::uint64_t>(k.size()) << 16) | (static_cast<std::uint64_t>(static_cast<unsigned char>(k.front())) << 8) |
         static_cast<std::uint64_t>(static_cast<unsigned char>(k.back()));
}

/// The first duplicate key of an object (members compared as unescaped strings).
std::optional<std::string_view> duplicate_key(simdjson::dom::object obj) {
  const std::size_t n = obj.size();
  if (n < 2) return std::nullopt;
  std::array<std::string_view, 24> small;
  std::array<std::uint64_t, 24> sigs;
  std::vector<std::string_view> big;
  std::string_view* keys = small.data();
  if (n > small.size()) {
    big.resize(n);
    keys = big.data();
  }
  std::size_t i = 0;
  for (auto field : obj) keys[i++] = field.key;
  if (n <= small.size()) {
    // Pairs are compared by signature first: few byte comparisons for the objects of a Pod.
    for (std::size_t a = 0; a < n; ++a) sigs[a] = signature(keys[a]);
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = a + 1; b < n; ++b)
        if (sigs[a] == sigs[b] && keys[a] == keys[b]) return keys[a];
    return std::nullopt;
  }
  std::sort(keys, keys + n);
  for (std::size_t a = 1; a < n; ++a)
    if (keys[a] == keys[a - 1]) return keys[a];
  return std::nullopt;
}

bool is_container(element_type t) { return t == element_type::OBJECT || t == element_type::ARRAY; }

/// Finds an object with a duplicate key (inner objects first); fills `path` (its field path) and
/// `key` on the way out. One pass: each object's keys set bits of a 64-bit filter, and only an
/// object where two keys hit the same bit has its keys compared.
bool find_duplicate(simdjson::dom::element v, std::string& path, std::string& key) {
  if (v.type() == element_type::OBJECT) {
    const simdjson::dom::object obj(v);
    std::uint64_t seen = 0;
    bool collision = false;
    for (auto field : obj) {
      if (is_container(field.value.type()) && find_duplicate(field.value, path, key)) {
        path.insert(0, path.empty() || path[0] == '[' ? std::string(field.key) : std::string(field.key) + ".");
        return true;
      }
      const std::string_view k = field.key;
      const std::uint64_t bit = std::uint64_t{1} << ((signature(k) * 0x9E3779B97F4A7C15ull) >> 58);
      collision = collision || (seen & bit) != 0;
      seen |= bit;
    }
    if (collision) {
      if (const auto k = duplicate_key(obj)) {
        key.assign(*k);
        return true;
      }
    }
  } else if (v.type() == element_type::ARRAY) {
    std::size_t i = 0;
    for (auto e : simdjson::dom::array(v)) {
      if (is_container(e.type()) && find_duplicate(e, path, key)) {
        path.insert(0, "[" + std::to_string(i) + "]");
        return true;
      }
      ++i;
    }
  }
  return false;
}

bool number_equal(simdjson::dom::element a, simdjson::dom::element b) {
  const auto ta = a.type(), tb = b.type();
  if (ta == tb) {
    if (ta == element_type::INT64) return std::int64_t(a) == std::int64_t(b);
    if (ta == element_type::UINT64) return std::uint64_t(a) == std::uint64_t(b);
    return double(a) == double(b);
  }
  if (ta != element_type::DOUBLE && tb != element_type::DOUBLE) {  // int64 against uint64
    const std::int64_t i = ta == element_type::INT64 ? std::int64_t(a) : std::int64_t(b);
    const std::uint64_t u = ta == element_type::UINT64 ? std::uint64_t(a) : std::uint64_t(b);
    return i >= 0 && static_cast<std::uint64_t>(i) == u;
  }
  const auto as_double = [](simdjson::dom::element e) {
    switch (e.type()) {
      case element_type::INT64: return static_cast<double>(std::int64_t(e));
      case element_type::UINT64: return static_cast<double>(std::uint64_t(e));
      default: return double(e);
    }
  };
  return as_double(a) == as_double(b);
}

bool is_number(element_type t) {
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

}  // namespace

JsonDocument::JsonDocument() {
  if (!t_pool_gone && !t_pool.parsers.empty()) {
    parser_ = std::move(t_pool.parsers.back());
    t_pool.parsers.pop_back();
  } else {
    parser_ = std::make_unique<simdjson::dom::parser>();
  }
}

JsonDocument::~JsonDocument() {
  if (!t_pool_gone && parser_ && parser_->capacity() <= kPooledCapacity &&
      t_pool.parsers.size() < kPooledParsers) {
    t_pool.parsers.push_back(std::move(parser_));
  }
}

Result<std::unique_ptr<JsonDocument>> JsonDocument::read(std::string_view body, std::size_t max_depth) {
  std::string_view text = body;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  auto doc = std::make_unique<JsonDocument>();
  simdjson::dom::parser& parser = *doc->parser_;
  // The same count of levels as read_json (tests/webhook/pod_decode_test.cpp holds the edge).
  if (parser.max_depth() != max_depth || parser.capacity() < text.size()) {
    if (auto err = parser.allocate(std::max(text.size(), kPooledCapacity), max_depth); err) {
      return fail("not valid JSON: " + std::string(simdjson::error_message(err)));
    }
  }
  auto parsed = parser.parse(text.data(), text.size(), true);
  if (parsed.error()) {
    // Refused: read_json names the line, column and byte of what is wrong (counting the BOM).
    auto again = read_json(body, max_depth);
    if (!again) return fail(again.error());
    return fail("not valid JSON: " + std::string(simdjson::error_message(parsed.error())));
  }
  doc->root_ = parsed.value_unsafe();
  std::string path, key;
  if (find_duplicate(doc->root_, path, key)) {
    return fail("duplicate key \"" + key + "\" in " + (path.empty() ? std::string("the top object") : path));
  }
  return doc;
}

std::string_view json_type_name(JsonValue v) {
  switch (v.type()) {
    case element_type::NULL_VALUE: return "null";
    case element_type::OBJECT: return "object";
    case element_type::ARRAY: return "list";
    case element_type::STRING: return "string";
    case element_type::BOOL: return "boolean";
    case element_type::INT64:
    case element_type::UINT64: return "integer";
    case element_type::DOUBLE: return "number";
  }
  return "unknown";
}

bool json_equal(JsonValue a, JsonValue b) {
  const auto ta = a.type(), tb = b.type();
  if (is_number(ta) && is_number(tb)) return number_equal(a, b);
  if (ta != tb) return false;
  switch (ta) {
    case element_type::NULL_VALUE: return true;
    case element_type::BOOL: return bool(a) == bool(b);
    case element_type::STRING: return std::string_view(a) == std::string_view(b);
    case element_type::ARRAY: {
      const simdjson::dom::array x(a), y(b);
      if (x.size() != y.size()) return false;
      auto ix = x.begin();
      auto iy = y.begin();
      for (; ix != x.end(); ++ix, ++iy) {
        if (!json_equal(*ix, *iy)) return false;
      }
      return true;
    }
    case element_type::OBJECT: {
      // No duplicate keys (JsonDocument::read): same size and every member found equal.
      const simdjson::dom::object x(a), y(b);
      if (x.size() != y.size()) return false;
      for (auto field : x) {
        auto other = y.at_key(field.key);
        if (other.error() || !json_equal(field.value, other.value_unsafe())) return false;
      }
      return true;
    }
    default: return false;
  }
}

std::string json_text(JsonValue v) { return simdjson::minify(v); }

}  // namespace gopreflight::webhook
