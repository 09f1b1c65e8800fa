/*
 * sysctls (baseline): only the "safe" sysctls (namespaced, isolated between Pods) may be set.
 *   Restricted fields: spec.securityContext.sysctls[*].name
 *   Allowed values (each version adds to the previous one, set union):
 *     v1.0:  kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies,
 *            net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start
 *     v1.27: + net.ipv4.ip_local_reserved_ports
 *     v1.29: + net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout,
 *              net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes
 *     v1.32: + net.ipv4.tcp_rmem, net.ipv4.tcp_wmem
 *     v1.37: + net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat
 * Source: kubernetes.io "Pod Security Standards" (Baseline, Sysctls);
 *         pod-security-admission policy/check_sysctls.go (sysctlsAllowedV1Dot0/27/29/32/37).
 *         The v1.37 entry (kubernetes PR #138389) is known to us from a release-1.37 research
 *         record, not from the file itself; see README "Pod Security Standards".
 */
#include <algorithm>

#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

struct Addition {
  int minor;
  std::vector<std::string_view> names;
};

const std::vector<Addition>& additions() {
  static const std::vector<Addition> a = {
      {0,
       {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"}},
      {27, {"net.ipv4.ip_local_reserved_ports"}},
      {29,
       {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes"}},
      {32, {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}},
      {37, {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}},
  };
  return a;
}

template <int Minor>
void sysctls_v(Ctx& ctx) {
  if (!ctx.pod_sc) return;
  const auto& list = ctx.pod_sc->sysctls;
  if (list.empty()) return;
  static const std::vector<std::string> allowed = sysctls_allowed(Minor);
  // Paths are built only for a report: allowed sysctls build none.
  const auto list_path = [&] { return ctx.pod_sc_path + ".sysctls"; };
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& name = list[i].name;
    if (!name || std::find(allowed.begin(), allowed.end(), *name) != allowed.end()) continue;
    const std::string path = index_path(list_path(), i);
    ctx.violation(path + ".name",
                  "sysctl " + *name + " is not in the baseline safe set at " + ctx.version_str +
                      " (allowed: " + join(allowed) + ")",
                  "remove " + *name + " from " + list_path() +
                      " and tune it on the node instead (check it with gopreflight-check)");
  }
}

}  // namespace

std::vector<std::string> sysctls_allowed(int minor) {
  std::vector<std::string> out;
  for (const auto& a : additions()) {
    if (a.minor > minor) break;
    for (auto n : a.names) out.emplace_back(n);
  }
  return out;
}

Check check_sysctls() {
  return {"sysctls", Level::baseline, "spec.securityContext.sysctls limited to the safe set",
          {{0, &sysctls_v<0>, {}},
           {27, &sysctls_v<27>, {}},
           {29, &sysctls_v<29>, {}},
           {32, &sysctls_v<32>, {}},
           {37, &sysctls_v<37>, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
