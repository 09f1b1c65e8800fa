#pragma once
// Helpers shared by the rules: the containers of a Pod model, and findings.
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/webhook/rules.hpp"

namespace gopreflight::webhook::rules::detail {

/// Containers of the given lists, in order (containers, initContainers, ephemeralContainers).
inline std::vector<const Container*> containers_of(const PodView& pod, std::initializer_list<std::string_view> lists) {
  std::vector<const Container*> out;
  for (std::string_view list : lists) {
    const auto& v = list == "containers"       ? pod.spec.containers
                    : list == "initContainers" ? pod.spec.init_containers
                                               : pod.spec.ephemeral_containers;
    for (const auto& c : v) out.push_back(&c);
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
