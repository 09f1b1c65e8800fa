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

/// The probe or hook `base`.`field` (the path is built only when a handler is there).
void check_handler(Ctx& ctx, const ContainerRef& c, const json& handler, const std::string& base,
                   std::string_view field) {
  for (std::string_view kind : {"httpGet", "tcpSocket"}) {
    if (peek(handler, kind) == nullptr) continue;
    const std::string path = base + "." + std::string(field);
    const json* h = ctx.object(handler, kind, path);
    if (!h) continue;
    const std::string hpath = path + "." + std::string(kind);
    auto host = ctx.string(*h, "host", hpath);
    if (!host || host->empty()) continue;
    ctx.violation(hpath + ".host",
                  c.label() + " points " + path.substr(c.path.size() + 1) + " at host \"" +
                      *host + "\"; the host field must be unset",
                  "remove " + std::string(kind) + ".host (the kubelet then probes the Pod IP)");
  }
}

void host_probes_1_34(Ctx& ctx) {
  for (const auto& c : ctx.containers) {
    for (std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
      if (const json* p = ctx.object(*c.obj, probe, c.path)) check_handler(ctx, c, *p, c.path, probe);
    }
    const json* lc = ctx.object(*c.obj, "lifecycle", c.path);
    if (!lc) continue;
    const std::string lc_path = c.path + ".lifecycle";
    for (std::string_view hook : {"postStart", "preStop"}) {
      if (const json* h = ctx.object(*lc, hook, lc_path)) check_handler(ctx, c, *h, lc_path, hook);
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
