/*
 * runAsNonRoot (restricted): containers must be required to run as non-root users.
 *   Restricted fields: spec.securityContext.runAsNonRoot,
 *                      spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsNonRoot
 *   Allowed values:    true. A container may leave it unset when the Pod sets it to true
 *                      (Pod-level securityContext is inherited); the Pod may leave it unset when
 *                      every container sets it; false anywhere fails.
 *   v1.0:  as above
 *   v1.35: not checked when the Pod runs in a user namespace (spec.hostUsers: false)
 * Source: kubernetes.io "Pod Security Standards" (Restricted, Running as Non-root) and "User
 *         Namespaces"; pod-security-admission policy/check_runAsNonRoot.go (entries v1.0,
 *         v1.35: the relaxation was dropped from v1.0 and added unconditionally at v1.35).
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void run_as_non_root_1_0(Ctx& ctx) {
  bool pod_true = false;
  if (ctx.pod_sc) {
    const auto v = ctx.pod_sc->run_as_non_root;
    if (v && !*v)
      ctx.violation(ctx.pod_sc_path + ".runAsNonRoot",
                    "the Pod sets runAsNonRoot: false; must be true",
                    "set spec.securityContext.runAsNonRoot: true");
    pod_true = v && *v;
  }
  for (const auto& c : ctx.containers) {
    std::optional<bool> v;
    if (c.sc) v = c.sc->run_as_non_root;
    if (v) {
      if (!*v)
        ctx.violation(c.sc_path + ".runAsNonRoot",
                      c.label() + " sets runAsNonRoot: false; must be true",
                      "set securityContext.runAsNonRoot: true");
      continue;
    }
    if (pod_true) continue;
    ctx.violation(c.sc_path + ".runAsNonRoot",
                  c.label() + " does not set runAsNonRoot and the Pod does not set it to true; "
                            "must be true",
                  "set runAsNonRoot: true in " + ctx.pod_sc_path +
                      " (covers every container) or in this container's securityContext");
  }
}

void run_as_non_root_1_35(Ctx& ctx) {
  if (pod_in_user_namespace(ctx)) return;
  run_as_non_root_1_0(ctx);
}

}  // namespace

Check check_runAsNonRoot() {
  return {"runAsNonRoot", Level::restricted,
          "runAsNonRoot must be true (Pod or every container; skipped with hostUsers: false from "
          "v1.35)",
          {{0, &run_as_non_root_1_0, {}}, {35, &run_as_non_root_1_35, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
