// Rule 6 (initCheck): selected Pods carry the gopreflight-check init container.
#include <algorithm>

#include "rules/common.hpp"

namespace gopreflight::webhook::rules {

/*
 * Policy: in the listed namespaces (all when the list is empty), a Pod must run an init container
 * named `container_name` (gopreflight-check), so a node that would hurt the Go service stops the
 * Pod before it starts. A workload template is judged as /mutate will make its Pods (the engine
 * applies the injection first, see as_mutated in engine.cpp), so it passes exactly when its Pods do.
 */
void init_check(const PodView& pod, const Policy::InitCheckRequired& s, std::string_view ns, Findings& out) {
  if (!pod.has_spec) return;
  if (!s.namespaces.empty() && std::find(s.namespaces.begin(), s.namespaces.end(), ns) == s.namespaces.end()) return;
  for (const auto& c : pod.spec.init_containers) {
    if (c.name == s.container_name) return;
  }
  const std::string p = pod.spec_path + ".initContainers";
  out.push_back(detail::finding(
      id::kInitCheck, s.container_name, p,
      "the Pod has no init container named " + detail::dq(s.container_name) +
          "; the policy requires it in namespace " + detail::dq(ns) + " so the node is checked before the app starts",
      "add an init container named " + s.container_name + " to " + p +
          " running gopreflight-check, or label the Pod gopreflight.io/inject: \"true\" with injection enabled",
      s.mode));
}

}  // namespace gopreflight::webhook::rules
