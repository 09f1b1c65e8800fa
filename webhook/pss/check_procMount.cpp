/*
 * procMount (baseline): the default /proc masks reduce attack surface and must be kept.
 *   Restricted fields: spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount
 *   Allowed values:  v1.0:  undefined/null, "Default"
 *                    v1.35: the same, or any value when the Pod runs in a user namespace
 *                           (spec.hostUsers: false)
 * Source: kubernetes.io "Pod Security Standards" (Baseline, /proc Mount Type) and "User
 *         Namespaces" (integration with PSA); pod-security-admission
 *         policy/check_procMount_baseline.go (entries v1.0 procMount_1_0, v1.35
 *         procMount1_35baseline; the user-namespace relaxation became unconditional at v1.35
 *         when the UserNamespacesPodSecurityStandards gate was dropped). Under restricted from
 *         v1.35, procMount_restricted replaces this check.
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {

/// Shared with check_procMount_restricted.cpp: any procMount other than Default is forbidden.
void proc_mount_strict(Ctx& ctx) {
  for (const auto& c : ctx.containers) {
    if (!c.sc) continue;
    const auto& v = c.sc->proc_mount;
    if (!v || *v == "Default") continue;
    ctx.violation(c.sc_path + ".procMount",
                  c.label() + " sets procMount to \"" + *v + "\"; must be Default or unset",
                  "remove securityContext.procMount (or set it to Default)");
  }
}

namespace {

void proc_mount_1_35_baseline(Ctx& ctx) {
  if (pod_in_user_namespace(ctx)) return;
  proc_mount_strict(ctx);
}

}  // namespace

Check check_procMount() {
  return {"procMount", Level::baseline,
          "securityContext.procMount must be Default (any value with hostUsers: false from v1.35)",
          {{0, &proc_mount_strict, {}}, {35, &proc_mount_1_35_baseline, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
