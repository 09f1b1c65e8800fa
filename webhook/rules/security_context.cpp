// Rule 4 (securityContext): container security settings the policy requires beyond PSS.
#include "rules/common.hpp"

namespace gopreflight::webhook::rules {
namespace {

using detail::finding;

/*
 * Fields and their defaults (Kubernetes SecurityContext / PodSecurityContext):
 * - readOnlyRootFilesystem, allowPrivilegeEscalation: container-level only; unset means a
 *   writable root filesystem and escalation allowed, so a requirement needs an explicit value.
 * - runAsNonRoot, runAsUser, runAsGroup: the container's value wins, else the Pod's
 *   spec.securityContext value applies; unset runAsUser/runAsGroup means the image decides, which
 *   admission cannot see, so a required range needs an explicit value.
 * Checked on containers, initContainers and ephemeralContainers of Linux Pods (spec.os.name
 * windows uses runAsUserName and has no read-only root filesystem: skipped).
 */
struct Effective {
  std::optional<long long> value;
  std::string path;  ///< where it was set, or where to set it
};

/// runAsUser or runAsGroup of a security context (`group` picks which), when it is set.
std::optional<long long> id_of(const std::optional<SecurityContext>& sc, bool group) {
  if (!sc) return std::nullopt;
  const auto& v = group ? sc->run_as_group : sc->run_as_user;
  if (!v) return std::nullopt;
  return static_cast<long long>(*v);
}

Effective effective_int(const Container& c, const std::optional<SecurityContext>& pod_sc,
                        const std::string& pod_sc_path, const char* key) {
  const bool group = std::string_view(key) == "runAsGroup";
  if (auto v = id_of(c.security_context, group)) return {v, c.path + ".securityContext." + key};
  if (auto v = id_of(pod_sc, group)) return {v, pod_sc_path + "." + key};
  return {std::nullopt, c.path + ".securityContext." + key};
}

void check_range(const Container& c, const Effective& e, const char* key, std::optional<long long> min,
                 std::optional<long long> max, Mode mode, Findings& out) {
  if (!min && !max) return;
  std::string range = min && max ? "between " + std::to_string(*min) + " and " + std::to_string(*max)
                      : min    ? "at least " + std::to_string(*min)
                               : "at most " + std::to_string(*max);
  const long long suggest = min ? *min : *max;
  const std::string who = "container " + detail::dq(c.name);
  if (!e.value) {
    out.push_back(finding(id::kSecurityContext, key, e.path,
                          who + " has no " + key + " (the image decides, which admission cannot check); the policy requires " +
                              key + " " + range,
                          "set " + e.path + ": " + std::to_string(suggest) + " (or " + key +
                              " in the Pod's securityContext)",
                          mode));
    return;
  }
  if ((min && *e.value < *min) || (max && *e.value > *max)) {
    out.push_back(finding(id::kSecurityContext, key, e.path,
                          who + " runs with " + key + " " + std::to_string(*e.value) + "; the policy requires " + range,
                          "set " + e.path + ": " + std::to_string(suggest), mode));
  }
}

}  // namespace

void security_context(const PodView& pod, const Policy::SecurityContextRule& s, Findings& out) {
  if (!pod.has_spec) return;
  if (pod.spec.os_name.value_or("") == "windows") return;
  const auto& pod_sc = pod.spec.security_context;
  const std::string pod_sc_path = pod.spec_path + ".securityContext";
  for (const Container* cp : detail::containers_of(pod, {"containers", "initContainers", "ephemeralContainers"})) {
    const Container& c = *cp;
    const auto& csc = c.security_context;
    const std::string csc_path = c.path + ".securityContext";
    const std::string who = "container " + detail::dq(c.name);
    if (s.read_only_root_filesystem.value_or(false)) {
      std::optional<bool> v;
      if (csc) v = csc->read_only_root_filesystem;
      if (!v.value_or(false)) {
        const std::string p = csc_path + ".readOnlyRootFilesystem";
        out.push_back(finding(id::kSecurityContext, "readOnlyRootFilesystem", p,
                              who + " has readOnlyRootFilesystem " + (v ? "false" : "unset") +
                                  "; the policy requires true (mount an emptyDir where it must write)",
                              "set " + p + ": true", s.mode));
      }
    }
    if (s.allow_privilege_escalation && !*s.allow_privilege_escalation) {
      std::optional<bool> v;
      if (csc) v = csc->allow_privilege_escalation;
      if (!v || *v) {
        const std::string p = csc_path + ".allowPrivilegeEscalation";
        out.push_back(finding(id::kSecurityContext, "allowPrivilegeEscalation", p,
                              who + " has allowPrivilegeEscalation " + (v ? "true" : "unset (which allows it)") +
                                  "; the policy requires false",
                              "set " + p + ": false", s.mode));
      }
    }
    if (s.run_as_non_root.value_or(false)) {
      std::optional<bool> v;
      if (csc) v = csc->run_as_non_root;
      std::string p = csc_path + ".runAsNonRoot";
      if (!v) {
        if (pod_sc) v = pod_sc->run_as_non_root;
        if (v) p = pod_sc_path + ".runAsNonRoot";
      }
      if (!v.value_or(false)) {
        out.push_back(finding(id::kSecurityContext, "runAsNonRoot", p,
                              who + " has runAsNonRoot " + (v ? "false" : "unset") + "; the policy requires true",
                              "set " + p + ": true (or runAsNonRoot: true in " + pod_sc_path + ")", s.mode));
      } else {
        const Effective user = effective_int(c, pod_sc, pod_sc_path, "runAsUser");
        if (user.value && *user.value == 0) {
          out.push_back(finding(id::kSecurityContext, "runAsNonRoot", user.path,
                                who + " sets runAsUser 0 with runAsNonRoot true: the kubelet refuses to start it",
                                "set " + user.path + " to a non-zero UID (e.g. 65532)", s.mode));
        }
      }
    }
    check_range(c, effective_int(c, pod_sc, pod_sc_path, "runAsUser"), "runAsUser", s.run_as_user_min,
                s.run_as_user_max, s.mode, out);
    check_range(c, effective_int(c, pod_sc, pod_sc_path, "runAsGroup"), "runAsGroup", s.run_as_group_min,
                s.run_as_group_max, s.mode, out);
  }
}

}  // namespace gopreflight::webhook::rules
