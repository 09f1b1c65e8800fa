/*
 * procMount_restricted (restricted, v1.35): under restricted the /proc masks stay required even
 * for Pods in a user namespace (baseline relaxes them from v1.35).
 *   Restricted fields: spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount
 *   Allowed values:    undefined/null, "Default"
 * Source: kubernetes.io "User Namespaces" (integration with PSA: "with the Restricted pod
 *         security standard, a pod still must only use the default or empty ProcMount");
 *         pod-security-admission policy/check_procMount_restricted.go (one entry, v1.35,
 *         overriding procMount).
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {

Check check_procMount_restricted() {
  return {"procMount_restricted", Level::restricted,
          "securityContext.procMount must be Default even with hostUsers: false (v1.35+)",
          {{35, &proc_mount_strict, {"procMount"}}}};
}

}  // namespace gopreflight::webhook::pss::detail
