/*
 * capabilities_baseline (baseline, v1.0): adding capabilities beyond the runtime's default set
 * is disallowed.
 *   Restricted fields: spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add
 *   Allowed values:    undefined/empty, AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
 *                      MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT
 * Source: kubernetes.io "Pod Security Standards" (Baseline, Capabilities);
 *         pod-security-admission policy/check_capabilities_baseline.go (one entry, v1.0; the
 *         list has not changed since). Under restricted from v1.22 capabilities_restricted
 *         replaces this check.
 */
#include <algorithm>
#include <array>

#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

constexpr std::array<std::string_view, 13> kAllowed = {
    "AUDIT_WRITE", "CHOWN",  "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",      "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"};

void capabilities_baseline_1_0(Ctx& ctx) {
  for (const auto& c : ctx.containers) {
    if (!c.sc) continue;
    if (!c.sc->capabilities) continue;
    const std::string caps_path = c.sc_path + ".capabilities";
    std::vector<std::string> bad;
    for (const auto& cap : c.sc->capabilities->add) {
      if (std::find(kAllowed.begin(), kAllowed.end(), cap) == kAllowed.end()) bad.push_back(cap);
    }
    if (bad.empty()) continue;
    std::vector<std::string> allowed(kAllowed.begin(), kAllowed.end());
    ctx.violation(caps_path + ".add",
                  c.label() + " adds capabilities " + join(bad) +
                      "; baseline allows adding only " + join(allowed),
                  "remove " + join(bad) + " from securityContext.capabilities.add");
  }
}

}  // namespace

Check check_capabilities_baseline() {
  return {"capabilities_baseline", Level::baseline,
          "capabilities.add may only hold the runtime's default capabilities",
          {{0, &capabilities_baseline_1_0, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
