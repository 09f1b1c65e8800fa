// `policy lint`: contradictions in a policy that parses, i.e. requirements no Pod can ever meet.
#include <algorithm>
#include <string>
#include <utility>

#include "gopreflight/webhook/policy_io.hpp"

namespace gopreflight::webhook {
namespace {

std::string dotted(std::string name) {
  std::replace(name.begin(), name.end(), '/', '.');
  return name;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

/*
 * Namespaced sysctls (the only ones a Pod may set; the kubelet rejects the rest with
 * SysctlForbidden): net.*, the IPC ones kernel.shm*, kernel.msg*, kernel.sem, and fs.mqueue.*.
 * Source: kubernetes.io "Using sysctls in a Kubernetes Cluster" (namespaced vs node-level).
 */
bool namespaced(std::string_view name) {
  return starts_with(name, "net.") || starts_with(name, "kernel.shm") || starts_with(name, "kernel.msg") ||
         name == "kernel.sem" || starts_with(name, "fs.mqueue.");
}

// Sysctls whose value is several numbers: min/max cannot compare them.
bool multi_valued(std::string_view name) {
  return name == "net.ipv4.ip_local_port_range" || name == "net.ipv4.ping_group_range" ||
         name == "net.ipv4.tcp_rmem" || name == "net.ipv4.tcp_wmem" || name == "net.ipv4.tcp_mem" ||
         name == "net.ipv4.ip_local_reserved_ports" || name == "kernel.sem";
}

}  // namespace

std::vector<PolicyProblem> lint_policy(const Policy& policy, const PolicyMarks& marks) {
  std::vector<PolicyProblem> out;
  auto add = [&](const std::string& path, std::string message) {
    const auto [line, col] = marks.at(path);
    out.push_back({policy.source, line, col, std::move(message)});
  };

  const bool pss_on = policy.pod_security && policy.pod_security->level != pss::Level::privileged;
  std::vector<std::string> allowed;
  if (pss_on) allowed = pss::baseline_allowed_sysctls(policy.pod_security->version);

  for (std::size_t i = 0; i < policy.required_sysctls.size(); ++i) {
    const auto& rs = policy.required_sysctls[i];
    const std::string path = "requiredSysctls[" + std::to_string(i) + "]";
    const std::string name = dotted(rs.name);
    if (!namespaced(name)) {
      add(path + ".name", path + ": " + rs.name +
                              " is not namespaced, so no Pod can set it (the kubelet rejects the Pod with "
                              "SysctlForbidden) and every Pod would be denied; tune it on the node and check it "
                              "with gopreflight-check instead");
      continue;
    }
    if (pss_on && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      add(path + ".name", path + ": " + rs.name + " is forbidden by Pod Security Standards baseline at " +
                              policy.pod_security->version.str() + " (podSecurity.level " +
                              std::string(pss::to_string(policy.pod_security->level)) +
                              "), so no Pod can meet both; drop the requirement, or use podSecurity level "
                              "privileged and allow it on the kubelets with --allowed-unsafe-sysctls");
    }
    if ((rs.min || rs.max) && multi_valued(name)) {
      add(path + (rs.min ? ".min" : ".max"),
          path + ": " + rs.name + " holds several numbers; min/max cannot compare it, use equals");
    }
  }

  if (policy.security_context) {
    // Only the safe value of each boolean is a requirement (readOnlyRootFilesystem true,
    // runAsNonRoot true, allowPrivilegeEscalation false); the other value asks for nothing.
    const auto& sc = *policy.security_context;
    const bool restricted = policy.pod_security && policy.pod_security->level == pss::Level::restricted;
    const auto& v = restricted ? policy.pod_security->version : pss::Version{};
    auto at_least = [&](int minor) { return v.latest || v.minor >= minor; };
    auto no_op = [&](const char* key, const char* written, const char* checked) {
      add(std::string("securityContext.") + key, std::string("securityContext.") + key + ": " + written +
                                                    " requires nothing (only " + checked +
                                                    " is checked; unset already allows anything); remove it or set " +
                                                    checked);
    };
    if (sc.read_only_root_filesystem == false) no_op("readOnlyRootFilesystem", "false", "true");
    if (sc.run_as_non_root == false) no_op("runAsNonRoot", "false", "true");
    if (sc.allow_privilege_escalation == true) no_op("allowPrivilegeEscalation", "true", "false");
    if (!sc.read_only_root_filesystem.value_or(false) && !sc.run_as_non_root.value_or(false) &&
        sc.allow_privilege_escalation.value_or(true) && !sc.run_as_user_min && !sc.run_as_user_max &&
        !sc.run_as_group_min && !sc.run_as_group_max) {
      add("securityContext", "securityContext: no requirement is set, so the section checks nothing; add "
                             "readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, "
                             "runAsUser or runAsGroup, or remove it");
    }
    if (sc.run_as_user_max && *sc.run_as_user_max == 0) {
      if (sc.run_as_non_root == true) {
        add("securityContext.runAsUser", "securityContext.runAsUser: max 0 allows only root, but runAsNonRoot: true "
                                         "forbids root");
      } else if (restricted && at_least(23)) {
        add("securityContext.runAsUser", "securityContext.runAsUser: max 0 allows only root, which podSecurity "
                                         "restricted forbids (runAsUser must not be 0)");
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const PolicyProblem& a, const PolicyProblem& b) {
    return std::pair(a.line, a.col) < std::pair(b.line, b.col);
  });
  return out;
}

}  // namespace gopreflight::webhook
