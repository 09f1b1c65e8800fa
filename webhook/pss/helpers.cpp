// Typed JSON accessors and small string helpers shared by the PSS checks.
#include <cstdint>
#include <string>

#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {

std::string join_path(const std::string& base, std::string_view key) {
  std::string out;
  out.reserve(base.size() + key.size() + 1);
  out += base;
  if (!base.empty()) out += '.';
  out += key;
  return out;
}

std::string index_path(const std::string& base, std::size_t i) {
  char digits[24];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + i % 10);
    i /= 10;
  } while (i != 0);
  std::string out;
  out.reserve(base.size() + n + 2);
  out += base;
  out += '[';
  while (n) out += digits[--n];
  out += ']';
  return out;
}

std::string_view type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::binary: return "binary";
    case json::value_t::discarded: return "discarded";
  }
  return "unknown";
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

void Ctx::violation(std::string path, std::string message, std::string fix) {
  out_.push_back(Violation{std::string(check_id), std::string(check_level), std::move(path),
                           std::move(message), std::move(fix), version_str});
}

void Ctx::wrong_type(const std::string& path, std::string_view expected, const json& found) {
  if (!type_error_paths_.insert(path).second) return;
  std::string msg = "field has the wrong type: expected " + std::string(expected) + ", found " +
                    std::string(type_name(found)) + "; the Pod cannot be judged, so it is denied";
  out_.push_back(Violation{std::string(kInvalidTypeCheckId), std::string(check_level), path,
                           std::move(msg), "make " + path + " " + std::string(expected),
                           version_str});
}

namespace {
/// parent[key] unless absent or null; std::map's own find, without nlohmann's iterator wrapper.
const json* find(const json& parent, std::string_view key) {
  const auto* members = parent.get_ptr<const json::object_t*>();
  if (members == nullptr) return nullptr;
  auto it = members->find(key);
  if (it == members->end() || it->second.is_null()) return nullptr;
  return &it->second;
}
}  // namespace

const json* peek(const json& parent, std::string_view key) { return find(parent, key); }

const json* Ctx::object(const json& parent, std::string_view key, const std::string& parent_path) {
  const json* v = find(parent, key);
  if (!v) return nullptr;
  if (!v->is_object()) {
    wrong_type(join_path(parent_path, key), "an object", *v);
    return nullptr;
  }
  return v;
}

const json* Ctx::array(const json& parent, std::string_view key, const std::string& parent_path) {
  const json* v = find(parent, key);
  if (!v) return nullptr;
  if (!v->is_array()) {
    wrong_type(join_path(parent_path, key), "an array", *v);
    return nullptr;
  }
  return v;
}

std::optional<bool> Ctx::boolean(const json& parent, std::string_view key,
                                 const std::string& parent_path) {
  const json* v = find(parent, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    wrong_type(join_path(parent_path, key), "a boolean", *v);
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::string> Ctx::string(const json& parent, std::string_view key,
                                       const std::string& parent_path) {
  const json* v = find(parent, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    wrong_type(join_path(parent_path, key), "a string", *v);
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<std::int64_t> Ctx::integer(const json& parent, std::string_view key,
                                         const std::string& parent_path) {
  const json* v = find(parent, key);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) {
    // Clamp values above int64 (never a valid port or uid, and never 0 either).
    const auto u = v->get<std::uint64_t>();
    constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
    return static_cast<std::int64_t>(u > kMax ? kMax : u);
  }
  if (v->is_number_integer()) return v->get<std::int64_t>();
  wrong_type(join_path(parent_path, key), "an integer", *v);
  return std::nullopt;
}

std::optional<std::string> Ctx::string_at(const json& arr, std::size_t i,
                                          const std::string& arr_path) {
  const json& v = arr[i];
  if (!v.is_string()) {
    wrong_type(index_path(arr_path, i), "a string", v);
    return std::nullopt;
  }
  return v.get<std::string>();
}

bool pod_os_is_windows(Ctx& ctx) {
  const json* os = ctx.object(*ctx.spec, "os", ctx.spec_path);
  if (!os) return false;
  auto name = ctx.string(*os, "name", join_path(ctx.spec_path, "os"));
  return name && *name == "windows";
}

bool pod_in_user_namespace(Ctx& ctx) {
  auto host_users = ctx.boolean(*ctx.spec, "hostUsers", ctx.spec_path);
  return host_users && !*host_users;
}

}  // namespace gopreflight::webhook::pss::detail
