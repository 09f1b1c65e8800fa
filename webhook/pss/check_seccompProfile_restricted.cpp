/*
 * seccompProfile_restricted (restricted): a seccomp profile must be set, RuntimeDefault or
 * Localhost.
 *   Restricted fields: spec.securityContext.seccompProfile.type,
 *                      spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type
 *   Allowed values:    "RuntimeDefault", "Localhost". A container may leave it unset when the
 *                      Pod sets a valid type (inherited).
 *   v1.19: as above (replaces seccompProfile_baseline under restricted). Before v1.19 the
 *          restricted level uses seccompProfile_baseline's annotation check only.
 *   v1.25: Pods with spec.os.name: windows are exempt.
 * Source: kubernetes.io "Pod Security Standards" (Restricted, Seccomp);
 *         pod-security-admission policy/check_seccompProfile_restricted.go (entries v1.19,
 *         v1.25, both overriding seccompProfile_baseline).
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

bool valid(const std::string& t) { return t == "RuntimeDefault" || t == "Localhost"; }

/// The seccompProfile.type set at `sc`, "" when the profile has no type, nullopt when unset.
std::optional<std::string> profile_type(const SecurityContext& sc) {
  if (!sc.seccomp_profile) return std::nullopt;
  return sc.seccomp_profile->type.value_or("");
}

void seccomp_restricted_1_19(Ctx& ctx) {
  bool pod_set = false;
  if (ctx.pod_sc) {
    auto t = profile_type(*ctx.pod_sc);
    if (t && !valid(*t))
      ctx.violation(ctx.pod_sc_path + ".seccompProfile.type",
                    "the Pod sets seccompProfile.type to \"" + *t +
                        "\"; must be RuntimeDefault or Localhost",
                    "set spec.securityContext.seccompProfile.type: RuntimeDefault");
    pod_set = t && valid(*t);
  }
  for (const auto& c : ctx.containers) {
    std::optional<std::string> t;
    if (c.sc) t = profile_type(*c.sc);
    if (t) {
      if (!valid(*t))
        ctx.violation(c.sc_path + ".seccompProfile.type",
                      c.label() + " sets seccompProfile.type to \"" + *t +
                          "\"; must be RuntimeDefault or Localhost",
                      "set securityContext.seccompProfile.type: RuntimeDefault");
      continue;
    }
    if (pod_set) continue;
    ctx.violation(c.sc_path + ".seccompProfile.type",
                  c.label() + " has no seccomp profile and the Pod sets no valid one; must be "
                            "RuntimeDefault or Localhost",
                  "set seccompProfile: {type: RuntimeDefault} in " + ctx.pod_sc_path +
                      " (covers every container)");
  }
}

void seccomp_restricted_1_25(Ctx& ctx) {
  if (pod_os_is_windows(ctx)) return;
  seccomp_restricted_1_19(ctx);
}

}  // namespace

Check check_seccompProfile_restricted() {
  return {"seccompProfile_restricted", Level::restricted,
          "seccompProfile.type must be RuntimeDefault or Localhost (v1.19+; Windows Pods exempt "
          "from v1.25)",
          {{19, &seccomp_restricted_1_19, {"seccompProfile_baseline"}},
           {25, &seccomp_restricted_1_25, {"seccompProfile_baseline"}}}};
}

}  // namespace gopreflight::webhook::pss::detail
