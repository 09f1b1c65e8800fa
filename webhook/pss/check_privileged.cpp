/*
 * privileged (baseline, v1.0): privileged containers disable most isolation.
 *   Restricted fields: spec.{initContainers,containers,ephemeralContainers}[*].securityContext.privileged
 *   Allowed values:    undefined/null, false
 * Source: kubernetes.io "Pod Security Standards" (Baseline, Privileged Containers);
 *         pod-security-admission policy/check_privileged.go (one entry, v1.0).
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void privileged_1_0(Ctx& ctx) {
  for (const auto& c : ctx.containers) {
    if (!c.sc) continue;
    const auto& v = c.sc->privileged;
    if (v && *v)
      ctx.violation(c.sc_path + ".privileged",
                    c.label() + " sets privileged: true; must be false or unset",
                    "set securityContext.privileged: false (or remove it)");
  }
}

}  // namespace

Check check_privileged() {
  return {"privileged", Level::baseline, "containers must not set securityContext.privileged: true",
          {{0, &privileged_1_0, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
