/*
 * hostProbesAndHostLifecycle (baseline, v1.34): probes and lifecycle hooks must not target
 * another host (the kubelet would connect to it for the Pod: an SSRF path).
 *   Restricted fields, for spec.{initContainers,containers,ephemeralContainers}[*]:
 *     livenessProbe / readinessProbe / startupProbe  .httpGet.host, .tcpSocket.host
 *     lifecycle.postStart / lifecycle.preStop        .httpGet.host, .tcpSocket.host
 *   Allowed values: undefined/null, ""
 * Source: kubernetes.io "Pod Security Standards" (Baseline, Probes / Lifecycle Hooks);
 *         pod-security-admission policy/check_hostProbesAndhostLifecycle.go (one entry, v1.34;
 *         not evaluated at pinned versions before v1.34).
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void host_probes_1_34(Ctx& ctx) {
  for (const auto& c : ctx.containers) {
    // The decoder keeps only handlers that name a host, in PSA's order (probes, then hooks).
    for (const HandlerHost& h : c.obj->handler_hosts) {
      const std::string path = c.path + "." + h.field;
      const std::string hpath = path + "." + h.kind;
      ctx.violation(hpath + ".host",
                    c.label() + " points " + h.field + " at host \"" + h.host + "\"; the host field must be unset",
                    "remove " + h.kind + ".host (the kubelet then probes the Pod IP)");
    }
  }
}

}  // namespace

Check check_hostProbesAndHostLifecycle() {
  return {"hostProbesAndHostLifecycle", Level::baseline,
          "probes and lifecycle hooks must not set httpGet.host or tcpSocket.host (v1.34+)",
          {{34, &host_probes_1_34, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
