// Differential: read_json must accept exactly what nlohmann::json::parse accepts (within the
// nesting limit) and produce the same value with the same number types; the engine's JsonDocument
// (simdjson) accepts the same, less duplicate keys and numbers beyond 64 bits, with the same
// value and read_json's error texts; never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <span>
#include <string>
#include <vector>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/json_document.hpp"
#include "gopreflight/webhook/json_reader.hpp"

namespace {

nlohmann::json without(const nlohmann::json& v, std::span<const std::string_view> keys) {
  if (v.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, x] : v.items()) {
      bool skip = false;
      for (const auto key : keys) skip = skip || k == key;
      if (!skip) out[k] = without(x, keys);
    }
    return out;
  }
  if (v.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : v) out.push_back(without(x, keys));
    return out;
  }
  return v;
}

/// True when some object in `text` has a key twice: read_json keeps the last, JsonDocument refuses.
bool has_duplicate_key(std::string_view text) {
  bool dup = false;
  // nlohmann's SAX interface sees every key in order: a set per open object.
  struct Sax : nlohmann::json_sax<nlohmann::json> {
    std::vector<std::set<std::string>> keys;
    bool* dup;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override {
      keys.emplace_back();
      return true;
    }
    bool key(string_t& k) override {
      if (!keys.back().insert(k).second) *dup = true;
      return true;
    }
    bool end_object() override {
      keys.pop_back();
      return true;
    }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
  } sax;
  sax.dup = &dup;
  nlohmann::json::sax_parse(text, &sax);
  return dup;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto got = gopreflight::webhook::read_json(text, 64);
  if (!got && got.error().rfind("JSON nests deeper than 64 levels", 0) == 0) {
    // nlohmann has no limit; the engine's document refuses it with the same text.
    const auto doc = gopreflight::webhook::JsonDocument::read(text, 64);
    if (doc || doc.error() != got.error()) std::abort();
    return 0;
  }
  if (text.find('\0') != std::string_view::npos) {
    // nlohmann stops at a NUL byte and ignores the rest ("4\0garbage" reads as 4); read_json
    // refuses any raw NUL: outside a string it is not JSON, inside one it must be escaped.
    if (got || gopreflight::webhook::JsonDocument::read(text, 64)) std::abort();
    return 0;
  }
  nlohmann::json expected;
  bool accepted = true;
  try {
    expected = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    accepted = false;
  }
  if (static_cast<bool>(got) != accepted) std::abort();
  if (!accepted) {
    if (got.error().rfind("not valid JSON: line ", 0) != 0) std::abort();
    static constexpr std::string_view kSkipOnFailure[] = {"a"};
    if (gopreflight::webhook::read_json(text, 64, kSkipOnFailure)) std::abort();  // skipping hides no error
    // The engine's document (simdjson) refuses it too, with read_json's text.
    const auto doc = gopreflight::webhook::JsonDocument::read(text, 64);
    if (doc || doc.error() != got.error()) std::abort();
    return 0;
  }
  if (got->type() != expected.type() || *got != expected || got->dump() != expected.dump()) std::abort();
  // Skipping members: same acceptance, and the value is the full one without them.
  static constexpr std::string_view kSkip[] = {"a", "managedFields"};
  const auto skipped = gopreflight::webhook::read_json(text, 64, kSkip);
  if (!skipped || *skipped != without(expected, kSkip)) std::abort();
  // release_json empties a value.
  nlohmann::json released = *got;
  gopreflight::webhook::release_json(released);
  if (released.is_structured() ? !released.empty() : released != *got) std::abort();
  // The engine's document (simdjson): accepted exactly when read_json accepts, unless an object
  // has a duplicate key (refused, named) or a number does not fit 64 bits (simdjson refuses it);
  // when accepted, the same value.
  const auto doc = gopreflight::webhook::JsonDocument::read(text, 64);
  if (!doc) {
    if (doc.error().rfind("duplicate key \"", 0) == 0) {
      if (!has_duplicate_key(text)) std::abort();
    } else if (doc.error().rfind("not valid JSON: ", 0) != 0 || doc.error().rfind("not valid JSON: line ", 0) == 0) {
      std::abort();  // a read_json text for what read_json accepts, or another text
    }
    return 0;
  }
  if (has_duplicate_key(text)) std::abort();
  const auto again = nlohmann::json::parse(gopreflight::webhook::json_text((*doc)->root()));
  if (again != expected) std::abort();
  return 0;
}
