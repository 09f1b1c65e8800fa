/*
 * allowPrivilegeEscalation (restricted): privilege escalation (setuid binaries, file
 * capabilities) must be turned off explicitly; unset means allowed, so unset fails.
 *   Restricted fields: spec.{initContainers,containers,ephemeralContainers}[*].securityContext.allowPrivilegeEscalation
 *   Allowed values:    false
 *   v1.8:  every container
 *   v1.25: Pods with spec.os.name: windows are exempt (the field does not exist on Windows)
 * Source: kubernetes.io "Pod Security Standards" (Restricted, Privilege Escalation);
 *         pod-security-admission policy/check_allowPrivilegeEscalation.go (entries v1.8, v1.25).
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void allow_privilege_escalation_1_8(Ctx& ctx) {
  for (const auto& c : ctx.containers) {
    std::optional<bool> v;
    if (c.sc) v = c.sc->allow_privilege_escalation;
    if (v && !*v) continue;
    ctx.violation(c.sc_path + ".allowPrivilegeEscalation",
                  c.label() + (v ? " sets allowPrivilegeEscalation: true" :
                                 " does not set allowPrivilegeEscalation (it defaults to true)") +
                      "; must be false",
                  "set securityContext.allowPrivilegeEscalation: false");
  }
}

void allow_privilege_escalation_1_25(Ctx& ctx) {
  if (pod_os_is_windows(ctx)) return;
  allow_privilege_escalation_1_8(ctx);
}

}  // namespace

Check check_allowPrivilegeEscalation() {
  return {"allowPrivilegeEscalation", Level::restricted,
          "securityContext.allowPrivilegeEscalation must be false (v1.8+; Windows Pods exempt "
          "from v1.25)",
          {{8, &allow_privilege_escalation_1_8, {}}, {25, &allow_privilege_escalation_1_25, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
