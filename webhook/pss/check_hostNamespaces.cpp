/*
 * hostNamespaces (baseline, v1.0): sharing the node's namespaces must be disallowed.
 *   Restricted fields: spec.hostNetwork, spec.hostPID, spec.hostIPC
 *   Allowed values:    undefined/null, false
 * Source: kubernetes.io "Pod Security Standards" (Baseline, Host Namespaces);
 *         pod-security-admission policy/check_hostNamespaces.go (one entry, v1.0).
 */
#include <tuple>

#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void host_namespaces_1_0(Ctx& ctx) {
  const std::tuple<std::string_view, std::string_view, std::optional<bool>> kFields[] = {
      {"hostNetwork", "network", ctx.spec->host_network},
      {"hostPID", "process (PID)", ctx.spec->host_pid},
      {"hostIPC", "IPC", ctx.spec->host_ipc}};
  for (const auto& [key, what, v] : kFields) {
    if (v && *v) {
      const std::string k(key);
      ctx.violation(join_path(ctx.spec_path, key),
                    k + " is true: the Pod shares the node's " + std::string(what) +
                        " namespace; must be false or unset",
                    "remove " + k + " (or set " + k + ": false)");
    }
  }
}

}  // namespace

Check check_hostNamespaces() {
  return {"hostNamespaces", Level::baseline,
          "spec.hostNetwork, hostPID and hostIPC must be unset or false",
          {{0, &host_namespaces_1_0, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
