// The built-in recommended policy: what applies when no --policy is given.
#include "gopreflight/webhook/policy_io.hpp"

namespace gopreflight::webhook {

/*
 * PSS restricted at latest, enforced. From the source article's sysctl advice (shared seed) only the
 * ones a Pod can set itself, and both are on the kubelet's safe list so no node flag is needed:
 *   net.ipv4.ip_local_port_range = "1024 65535"   (a larger ephemeral port pool for outbound calls)
 *   net.ipv4.tcp_fin_timeout    <= 30              (shorter FIN_WAIT_2, fewer stuck sockets)
 * The article's vm.max_map_count, fs.file-max are node-wide (no Pod can set them) and
 * net.core.somaxconn needs --allowed-unsafe-sysctls: the node check (gopreflight-check) covers them.
 * Go runtime rules enforced; kube-system exempt.
 */
std::shared_ptr<Policy> builtin_policy() {
  auto p = std::make_shared<Policy>();
  Policy::PodSecurity ps;
  ps.level = pss::Level::restricted;
  ps.version = pss::Version{};  // latest
  ps.mode = Mode::enforce;
  p->pod_security = ps;

  RequiredSysctl port_range;
  port_range.name = "net.ipv4.ip_local_port_range";
  port_range.equals = "1024 65535";
  RequiredSysctl fin_timeout;
  fin_timeout.name = "net.ipv4.tcp_fin_timeout";
  fin_timeout.max = 30;
  p->required_sysctls = {port_range, fin_timeout};

  p->go_runtime = Policy::GoRuntime{};
  p->exemptions.namespaces = {"kube-system"};
  p->source = "built-in";
  return p;
}

}  // namespace gopreflight::webhook
