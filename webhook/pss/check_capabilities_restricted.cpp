/*
 * capabilities_restricted (restricted): containers must drop ALL capabilities and may add back
 * only NET_BIND_SERVICE.
 *   Restricted fields: spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.drop
 *     allowed values:  must include "ALL"
 *   Restricted fields: spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add
 *     allowed values:  undefined/empty, "NET_BIND_SERVICE"
 *   v1.22: as above (replaces capabilities_baseline under restricted; before v1.22 restricted
 *          uses capabilities_baseline)
 *   v1.25: Pods with spec.os.name: windows are exempt.
 * Source: kubernetes.io "Pod Security Standards" (Restricted, Capabilities);
 *         pod-security-admission policy/check_capabilities_restricted.go (entries v1.22, v1.25,
 *         both overriding capabilities_baseline).
 */
#include <algorithm>

#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void capabilities_restricted_1_22(Ctx& ctx) {
  for (const auto& c : ctx.containers) {
    const Capabilities* caps = c.sc && c.sc->capabilities ? &*c.sc->capabilities : nullptr;
    // Paths are built only for a report: a container that drops ALL and adds nothing builds none.
    const auto caps_path = [&] { return c.sc_path + ".capabilities"; };
    bool dropped_all = false;
    const bool drop = caps != nullptr && caps->drop_set;
    if (drop) dropped_all = std::find(caps->drop.begin(), caps->drop.end(), "ALL") != caps->drop.end();
    if (!dropped_all)
      ctx.violation(caps_path() + ".drop",
                    c.label() + (drop ? " does not drop ALL capabilities" : " drops no capabilities") +
                        "; capabilities.drop must include ALL",
                    "set securityContext.capabilities.drop: [\"ALL\"]");
    if (caps == nullptr) continue;
    std::vector<std::string> bad;
    for (const auto& cap : caps->add) {
      if (cap != "NET_BIND_SERVICE") bad.push_back(cap);
    }
    if (!bad.empty())
      ctx.violation(caps_path() + ".add",
                    c.label() + " adds capabilities " + join(bad) +
                        "; restricted allows adding only NET_BIND_SERVICE",
                    "remove " + join(bad) + " from securityContext.capabilities.add");
  }
}

void capabilities_restricted_1_25(Ctx& ctx) {
  if (pod_os_is_windows(ctx)) return;
  capabilities_restricted_1_22(ctx);
}

}  // namespace

Check check_capabilities_restricted() {
  return {"capabilities_restricted", Level::restricted,
          "capabilities.drop must include ALL; capabilities.add only NET_BIND_SERVICE (v1.22+; "
          "Windows Pods exempt from v1.25)",
          {{22, &capabilities_restricted_1_22, {"capabilities_baseline"}},
           {25, &capabilities_restricted_1_25, {"capabilities_baseline"}}}};
}

}  // namespace gopreflight::webhook::pss::detail
