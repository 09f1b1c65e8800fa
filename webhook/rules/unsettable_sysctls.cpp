// Rule 3 (unsettableSysctls, always on): sysctls the kubelet will refuse, decided before the Pod
// is scheduled instead of as SysctlForbidden on the node.
#include <algorithm>

#include "gopreflight/webhook/pss.hpp"
#include "rules/common.hpp"

namespace gopreflight::webhook::rules {

/*
 * Policy (Kubernetes "Using sysctls in a Kubernetes Cluster" and the kubelet's sysctl admission):
 * - not namespaced (vm.*, fs.* but fs.mqueue.*, kernel.* but the IPC names): no Pod can set it;
 *   the kubelet rejects the Pod (SysctlForbidden). Denied: tune it on the node instead.
 * - net.* on a Pod with hostNetwork: true, or IPC sysctls with hostIPC: true: the kubelet rejects
 *   it ("not allowed with host net/ipc enabled"). Denied.
 * - namespaced but outside the kubelet's safe set of that version: only kubelets started with
 *   --allowed-unsafe-sysctls admit it. Allowed with a warning. The safe set equals the PSS
 *   baseline sysctl allow-list of the same version (pss::baseline_allowed_sysctls); kubelets on
 *   kernels too old for a newer safe sysctl also treat it as unsafe.
 */
void unsettable_sysctls(const PodView& pod, Mode mode, const pss::Version& kubelet_version, Findings& out) {
  if (!pod.has_spec || !pod.spec.security_context || pod.spec.security_context->sysctls.empty()) return;
  const std::vector<Sysctl>* sysctls = &pod.spec.security_context->sysctls;
  const bool host_network = pod.spec.host_network.value_or(false);
  const bool host_ipc = pod.spec.host_ipc.value_or(false);
  // Paths and texts are built only for a finding: a clean Pod allocates nothing here.
  const auto& safe = pss::baseline_allowed_sysctls_ref(kubelet_version);
  const std::string list_path = pod.spec_path + ".securityContext.sysctls";
  const char* node_fix =
      "; set it on the node instead (sysctl -w / /etc/sysctl.d, or a node-tuning DaemonSet) and verify "
      "it with gopreflight-check";

  for (std::size_t i = 0; i < sysctls->size(); ++i) {
    const auto path = [&] { return list_path + "[" + std::to_string(i) + "]"; };
    const auto& raw = (*sysctls)[i].name;
    if (!raw || raw->empty()) {
      out.push_back(detail::finding(id::kUnsettableSysctls, "", path() + ".name",
                                    "sysctl entry has no name; the API server and kubelet refuse it",
                                    "set name (e.g. net.ipv4.ip_local_port_range) or remove the entry", mode));
      continue;
    }
    const std::string name = normalize_sysctl_name(*raw);
    const auto ns = sysctl_namespace(name);
    if (ns == SysctlNamespace::none) {
      out.push_back(detail::finding(
          id::kUnsettableSysctls, name, path(),
          "sysctl " + name + " is not namespaced (only net.*, fs.mqueue.*, kernel.sem, kernel.shm* and "
              "kernel.msg* are): no kubelet can set it in a Pod, the Pod would fail with SysctlForbidden",
          "remove it from " + list_path + node_fix, mode));
      continue;
    }
    if (ns == SysctlNamespace::net && host_network) {
      out.push_back(detail::finding(
          id::kUnsettableSysctls, name, path(),
          "sysctl " + name + " is in the network namespace, which a Pod with hostNetwork: true shares with "
              "the node: the kubelet refuses it",
          "remove it from " + list_path + " or set " + pod.spec_path + ".hostNetwork: false" + node_fix, mode));
      continue;
    }
    if (ns == SysctlNamespace::ipc && host_ipc) {
      out.push_back(detail::finding(
          id::kUnsettableSysctls, name, path(),
          "sysctl " + name + " is in the IPC namespace, which a Pod with hostIPC: true shares with the node: "
              "the kubelet refuses it",
          "remove it from " + list_path + " or set " + pod.spec_path + ".hostIPC: false" + node_fix, mode));
      continue;
    }
    if (std::find(safe.begin(), safe.end(), name) == safe.end()) {
      out.push_back(detail::finding(
          id::kUnsettableSysctls, name, path(),
          "sysctl " + name + " is namespaced but not in the kubelet's safe set (" + kubelet_version.str() +
              "): the Pod fails with SysctlForbidden on any node whose kubelet lacks --allowed-unsafe-sysctls",
          "start the kubelets that run it with --allowed-unsafe-sysctls=" + name +
              " (allowedUnsafeSysctls in KubeletConfiguration) and schedule the Pod only there",
          advice_mode(mode)));
    }
  }
}

}  // namespace gopreflight::webhook::rules
