// Differential: read_json must accept exactly what nlohmann::json::parse accepts (within the
// nesting limit) and produce the same value with the same number types; never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

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

/// `v` without members named "b" in objects at even depth (the top value is depth 0).
nlohmann::json without_b_at_even(const nlohmann::json& v, int depth) {
  if (v.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, x] : v.items()) {
      if (k == "b" && depth % 2 == 0) continue;
      out[k] = without_b_at_even(x, depth + 1);
    }
    return out;
  }
  if (v.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : v) out.push_back(without_b_at_even(x, depth + 1));
    return out;
  }
  return v;
}

/// The filter matching without_b_at_even: the state is the depth.
struct EvenB final : gopreflight::webhook::JsonFilter {
  int member(int parent, std::string_view key) override { return key == "b" && parent % 2 == 0 ? kSkip : parent + 1; }
  int element(int parent) override { return parent + 1; }
  void string_value(int, std::string_view) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto got = gopreflight::webhook::read_json(text, 64);
  if (!got && got.error.rfind("JSON nests deeper than 64 levels", 0) == 0) return 0;  // nlohmann has no limit
  if (text.find('\0') != std::string_view::npos) {
    // nlohmann stops at a NUL byte and ignores the rest ("4\0garbage" reads as 4); read_json
    // refuses any raw NUL: outside a string it is not JSON, inside one it must be escaped.
    if (got) std::abort();
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
    if (got.error.rfind("not valid JSON: line ", 0) != 0) std::abort();
    static constexpr std::string_view kSkipOnFailure[] = {"a"};
    if (gopreflight::webhook::read_json(text, 64, kSkipOnFailure)) std::abort();  // skipping hides no error
    EvenB filter;
    const auto filtered = gopreflight::webhook::read_json(text, 64, {}, &filter);
    if (filtered || filtered.error != got.error) std::abort();  // the same error, filter or not
    return 0;
  }
  if (got->type() != expected.type() || *got != expected || got->dump() != expected.dump()) std::abort();
  // Skipping members: same acceptance, and the value is the full one without them.
  static constexpr std::string_view kSkip[] = {"a", "managedFields"};
  const auto skipped = gopreflight::webhook::read_json(text, 64, kSkip);
  if (!skipped || *skipped != without(expected, kSkip)) std::abort();
  // A filter: same acceptance, the value without what it left out; release_json empties it.
  EvenB filter;
  auto filtered = gopreflight::webhook::read_json(text, 64, {}, &filter);
  if (!filtered || *filtered != without_b_at_even(expected, 0)) std::abort();
  nlohmann::json released = *filtered;
  gopreflight::webhook::release_json(released);
  if (released.is_structured() ? !released.empty() : released != *filtered) std::abort();
  return 0;
}
