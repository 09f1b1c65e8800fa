/*
 * hostPorts (baseline, v1.0): host ports must be disallowed.
 *   Restricted fields: spec.{initContainers,containers,ephemeralContainers}[*].ports[*].hostPort
 *   Allowed values:    undefined/null, 0
 * The PSS page also permits "a known list" of ports, which the built-in PSA does not support:
 * PSA (and this check) forbids every non-zero hostPort.
 * Source: kubernetes.io "Pod Security Standards" (Baseline, Host Ports);
 *         pod-security-admission policy/check_hostPorts.go (one entry, v1.0).
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void host_ports_1_0(Ctx& ctx) {
  for (const auto& c : ctx.containers) {
    const auto& ports = c.obj->ports;
    for (std::size_t i = 0; i < ports.size(); ++i) {
      const auto& host_port = ports[i].host_port;
      if (!host_port || *host_port == 0) continue;  // unset: nothing to judge, no path to build
      const std::string path = index_path(c.path + ".ports", i);
      ctx.violation(path + ".hostPort",
                    c.label() + " sets hostPort: " + std::to_string(*host_port) +
                        "; must be 0 or unset",
                    "remove hostPort from " + path + " and reach the port through a Service");
    }
  }
}

}  // namespace

Check check_hostPorts() {
  return {"hostPorts", Level::baseline, "ports[*].hostPort must be unset or 0",
          {{0, &host_ports_1_0, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
