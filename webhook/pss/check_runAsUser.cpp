/*
 * runAsUser (restricted): containers must not explicitly run as UID 0.
 *   Restricted fields: spec.securityContext.runAsUser,
 *                      spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsUser
 *   Allowed values:    any non-zero value, undefined/null
 *   v1.23: as above (not checked at pinned versions before v1.23)
 *   v1.35: not checked when the Pod runs in a user namespace (spec.hostUsers: false)
 * A Pod-level runAsUser: 0 is inherited by every container that does not override it; PSA
 * reports it once, at the Pod, and so do we.
 * Source: kubernetes.io "Pod Security Standards" (Restricted, Running as Non-root user);
 *         pod-security-admission policy/check_runAsUser.go (entries v1.23, v1.35).
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void run_as_user_1_23(Ctx& ctx) {
  if (ctx.pod_sc) {
    const auto& v = ctx.pod_sc->run_as_user;
    if (v && *v == 0)
      ctx.violation(ctx.pod_sc_path + ".runAsUser", "the Pod sets runAsUser: 0 (root); must not be 0",
                    "set spec.securityContext.runAsUser to a non-zero UID (e.g. 65532) or remove it");
  }
  for (const auto& c : ctx.containers) {
    if (!c.sc) continue;
    const auto& v = c.sc->run_as_user;
    if (v && *v == 0)
      ctx.violation(c.sc_path + ".runAsUser", c.label() + " sets runAsUser: 0 (root); must not be 0",
                    "set securityContext.runAsUser to a non-zero UID (e.g. 65532) or remove it");
  }
}

void run_as_user_1_35(Ctx& ctx) {
  if (pod_in_user_namespace(ctx)) return;
  run_as_user_1_23(ctx);
}

}  // namespace

Check check_runAsUser() {
  return {"runAsUser", Level::restricted,
          "runAsUser must not be 0 (v1.23+; skipped with hostUsers: false from v1.35)",
          {{23, &run_as_user_1_23, {}}, {35, &run_as_user_1_35, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
