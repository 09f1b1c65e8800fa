/*
 * appArmorProfile (baseline, v1.0): the default AppArmor profile must not be disabled or
 * overridden except with a localhost profile.
 *   Restricted fields: metadata.annotations["container.apparmor.security.beta.kubernetes.io/<container>"]
 *     allowed values:  undefined, "" , "runtime/default", "localhost/<profile>"
 *   Restricted fields: spec.securityContext.appArmorProfile.type,
 *                      spec.{initContainers,containers,ephemeralContainers}[*].securityContext.appArmorProfile.type
 *     allowed values:  undefined/null, "RuntimeDefault", "Localhost"
 * Source: kubernetes.io "Pod Security Standards" (Baseline, AppArmor);
 *         pod-security-admission policy/check_appArmorProfile.go.
 * Version note: PSA has a single entry (v1.0). The appArmorProfile field (API added in
 * Kubernetes v1.30) was added to that v1.0 function in place, so PSA judges the field at every
 * pinned version, v1.0 ... v1.29 included. We do the same: there is no v1.29/v1.30 boundary.
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

constexpr std::string_view kAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";

bool allowed_annotation(const std::string& v) {
  return v.empty() || v == "runtime/default" || v.rfind("localhost/", 0) == 0;
}

void check_field(Ctx& ctx, const SecurityContext& sc, const std::string& sc_path, const std::string& who) {
  if (!sc.app_armor_profile) return;
  const std::string prof_path = sc_path + ".appArmorProfile";
  const std::string type = sc.app_armor_profile->type.value_or("");
  if (type == "RuntimeDefault" || type == "Localhost") return;
  ctx.violation(prof_path + ".type",
                who + " sets appArmorProfile.type to \"" + type +
                    "\"; must be RuntimeDefault or Localhost (or unset)",
                "set securityContext.appArmorProfile.type: RuntimeDefault (or remove it)");
}

void app_armor_profile_1_0(Ctx& ctx) {
  {
    for (const auto& [key, value] : ctx.meta->annotations) {
      if (key.rfind(kAnnotationPrefix, 0) != 0) continue;
      const std::string path = ctx.meta_path + ".annotations[" + key + "]";
      if (allowed_annotation(value)) continue;
      ctx.violation(path,
                    "AppArmor annotation " + key + " is \"" + value +
                        "\"; must be runtime/default, localhost/<profile> or unset",
                    "set the annotation to runtime/default (or remove it)");
    }
  }
  if (ctx.pod_sc) check_field(ctx, *ctx.pod_sc, ctx.pod_sc_path, "the Pod");
  for (const auto& c : ctx.containers)
    if (c.sc) check_field(ctx, *c.sc, c.sc_path, c.label());
}

}  // namespace

Check check_appArmorProfile() {
  return {"appArmorProfile", Level::baseline,
          "AppArmor must not be Unconfined (annotations and appArmorProfile.type)",
          {{0, &app_armor_profile_1_0, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
