#pragma once
/// The engine's rules, one per file under webhook/rules/. Each is a pure function of a PodView and
/// its policy section that appends Findings (with the full field path inside the object); the
/// engine (engine.cpp) holds the explicit list and turns findings into a decision.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/pod_view.hpp"
#include "gopreflight/webhook/policy.hpp"

namespace gopreflight::webhook::rules {

using Findings = std::vector<Finding>;

/// The rule ids, defined once: findings carry them (Finding::rule), `review --skip-rule` accepts
/// them, SARIF names them, and each is documented in docs/policy/<id>.md.
namespace id {
inline constexpr char kPodSecurity[] = "podSecurity";
inline constexpr char kRequiredSysctls[] = "requiredSysctls";
inline constexpr char kUnsettableSysctls[] = "unsettableSysctls";
inline constexpr char kSecurityContext[] = "securityContext";
inline constexpr char kGoRuntime[] = "goRuntime";
inline constexpr char kInitCheck[] = "initCheck";
}  // namespace id
/// Every rule id, in the order the engine runs the rules.
inline constexpr std::array<std::string_view, 6> kRuleIds{id::kPodSecurity,     id::kRequiredSysctls,
                                                          id::kUnsettableSysctls, id::kSecurityContext,
                                                          id::kGoRuntime,       id::kInitCheck};

std::string_view mode_name(Mode m);  ///< "enforce" | "warn" | "audit"
/// The mode of advice that never denies (an unset GOMEMLIMIT, an unsafe sysctl): audit stays
/// audit, anything else becomes warn.
Mode advice_mode(Mode m);

/// Rule 1 (podSecurity): Pod Security Standards via pss::evaluate at the policy's level/version.
void pod_security(const PodView& pod, const Policy::PodSecurity& settings, Findings& out);

/// Rule 2 (requiredSysctls): every listed sysctl present in spec.securityContext.sysctls with a
/// value in range (min/max: integer bounds, inclusive) or equal (whitespace-normalised).
void required_sysctls(const PodView& pod, const std::vector<RequiredSysctl>& required, Findings& out);

/// Rule 3 (unsettableSysctls, always on): a sysctl outside the kernel's net/IPC namespaces is
/// denied; net.* with hostNetwork or IPC sysctls with hostIPC are denied; a namespaced sysctl
/// outside the kubelet's safe set for `kubelet_version` warns (--allowed-unsafe-sysctls).
void unsettable_sysctls(const PodView& pod, Mode mode, const pss::Version& kubelet_version, Findings& out);

/// Rule 4 (securityContext): the configured fields on every container, initContainer and
/// ephemeralContainer, with pod-level runAsUser/runAsGroup/runAsNonRoot as defaults.
void security_context(const PodView& pod, const Policy::SecurityContextRule& settings, Findings& out);

/// Rule 5 (goRuntime): memory limit, GOMEMLIMIT and GOMAXPROCS of the Go containers.
void go_runtime(const PodView& pod, const Policy::GoRuntime& settings, Findings& out);

/// Rule 6 (initCheck): Pods in the selected namespaces carry the gopreflight-check init
/// container. Workload templates reach it as /mutate will make their Pods (engine.cpp).
void init_check(const PodView& pod, const Policy::InitCheckRequired& settings, std::string_view ns, Findings& out);

// Helpers shared by rules, tests and policy lint.

/// Kubernetes accepts "net/ipv4/conf/eth0.100/rp_filter": '/' and '.' swap in that form.
std::string normalize_sysctl_name(std::string_view name);
enum class SysctlNamespace { none, net, ipc };
/// The kernel namespace a (normalised) sysctl belongs to, as the kubelet decides it.
SysctlNamespace sysctl_namespace(std::string_view normalized_name);
/// Collapses runs of blanks (space, tab, newline) into one space and trims the ends.
std::string normalize_whitespace(std::string_view value);

}  // namespace gopreflight::webhook::rules
