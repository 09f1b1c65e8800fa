#pragma once
// Null-safe, type-safe JSON access for rules: a wrong or missing type reads as absent (the engine
// has already refused wrong types with check_pod_shape; these keep rules safe on their own).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/rules.hpp"

namespace gopreflight::webhook::rules::detail {

using nlohmann::json;

/// (*obj)[key] unless obj is not an object or the member is absent or null. std::map's own find
/// with a string_view key: no strlen per comparison, no nlohmann iterator wrapper.
inline const json* member(const json* obj, std::string_view key) {
  const auto* members = obj != nullptr ? obj->get_ptr<const json::object_t*>() : nullptr;
  if (members == nullptr) return nullptr;
  auto it = members->find(key);
  if (it == members->end() || it->second.is_null()) return nullptr;
  return &it->second;
}
inline const json* object_at(const json* obj, std::string_view key) {
  const json* v = member(obj, key);
  return v != nullptr && v->is_object() ? v : nullptr;
}
inline const json* array_at(const json* obj, std::string_view key) {
  const json* v = member(obj, key);
  return v != nullptr && v->is_array() ? v : nullptr;
}
inline const std::string* string_at(const json* obj, std::string_view key) {
  const json* v = member(obj, key);
  return v != nullptr && v->is_string() ? v->get_ptr<const std::string*>() : nullptr;
}
inline std::optional<bool> bool_at(const json* obj, std::string_view key) {
  const json* v = member(obj, key);
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}
inline std::optional<long long> int_at(const json* obj, std::string_view key) {
  const json* v = member(obj, key);
  if (v == nullptr || !v->is_number_integer()) return std::nullopt;
  if (v->is_number_unsigned()) {
    const auto u = v->get<unsigned long long>();
    if (u > static_cast<unsigned long long>(std::numeric_limits<long long>::max())) return std::nullopt;
    return static_cast<long long>(u);
  }
  return v->get<long long>();
}

/// One container of a Pod with its field path ("spec.containers[1]") and list name.
struct ContainerRef {
  const json* c = nullptr;
  std::string path;
  std::string_view list;  ///< "containers" | "initContainers" | "ephemeralContainers"
  std::string name;
};

/// Containers of the given lists, in order (containers, initContainers, ephemeralContainers).
inline std::vector<ContainerRef> containers_of(const PodView& pod, std::initializer_list<const char*> lists) {
  std::vector<ContainerRef> out;
  for (const char* list : lists) {
    const json* arr = array_at(pod.spec, list);
    if (arr == nullptr) continue;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const json& c = (*arr)[i];
      if (!c.is_object()) continue;
      const std::string* name = string_at(&c, "name");
      const std::string index = std::to_string(i);
      const std::string_view list_name(list);
      std::string path;  // spec_path.list[i], built in one allocation
      path.reserve(pod.spec_path.size() + list_name.size() + index.size() + 3);
      path.append(pod.spec_path).append(".").append(list_name).append("[").append(index).append("]");
      out.push_back({&c, std::move(path), list, name != nullptr ? *name : std::string()});
    }
  }
  return out;
}

inline Finding finding(const char* rule, std::string check, std::string path, std::string message,
                       std::string fix, Mode mode) {
  return Finding{rule, std::move(check), std::move(path), std::move(message), std::move(fix),
                 std::string(mode_name(mode))};
}

inline std::string dq(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace gopreflight::webhook::rules::detail
