/*
 * seccompProfile_baseline (baseline): if a seccomp profile is set it must not be Unconfined.
 *   v1.0 - v1.18 (annotations):
 *     metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"],
 *     metadata.annotations["container.seccomp.security.alpha.kubernetes.io/<container name>"]
 *     allowed values: undefined, "runtime/default", "docker/default", "localhost/<profile>"
 *   v1.19+ (fields):
 *     spec.securityContext.seccompProfile.type,
 *     spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type
 *     allowed values: undefined/null, "RuntimeDefault", "Localhost"
 * Source: kubernetes.io "Pod Security Standards" (Baseline, Seccomp);
 *         pod-security-admission policy/check_seccompProfile_baseline.go (entries v1.0
 *         seccompProfileBaseline_1_0, v1.19 seccompProfileBaseline_1_19). Under restricted from
 *         v1.19, seccompProfile_restricted replaces this check.
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

constexpr std::string_view kPodAnnotation = "seccomp.security.alpha.kubernetes.io/pod";
constexpr std::string_view kContainerPrefix = "container.seccomp.security.alpha.kubernetes.io/";

bool valid_annotation(const std::string& v) {
  return v == "runtime/default" || v == "docker/default" || v.rfind("localhost/", 0) == 0;
}

void check_annotation(Ctx& ctx, const std::string& key) {
  auto it = ctx.meta->annotations.find(key);
  if (it == ctx.meta->annotations.end()) return;
  const std::string path = ctx.meta_path + ".annotations[" + key + "]";
  const std::string& v = it->second;
  if (valid_annotation(v)) return;
  ctx.violation(path,
                "seccomp annotation " + key + " is \"" + v +
                    "\"; must be runtime/default, docker/default or localhost/<profile>",
                "set the annotation to runtime/default");
}

void seccomp_baseline_1_0(Ctx& ctx) {
  if (ctx.meta->annotations.empty()) return;
  check_annotation(ctx, std::string(kPodAnnotation));
  for (const auto& c : ctx.containers)
    check_annotation(ctx, std::string(kContainerPrefix) + c.name);
}

void check_field(Ctx& ctx, const SecurityContext& sc, const std::string& sc_path, const std::string& who) {
  if (!sc.seccomp_profile) return;
  const std::string path = sc_path + ".seccompProfile";
  const std::string type = sc.seccomp_profile->type.value_or("");
  if (type == "RuntimeDefault" || type == "Localhost") return;
  ctx.violation(path + ".type",
                who + " sets seccompProfile.type to \"" + type +
                    "\"; must be RuntimeDefault or Localhost (or unset)",
                "set securityContext.seccompProfile.type: RuntimeDefault");
}

void seccomp_baseline_1_19(Ctx& ctx) {
  if (ctx.pod_sc) check_field(ctx, *ctx.pod_sc, ctx.pod_sc_path, "the Pod");
  for (const auto& c : ctx.containers)
    if (c.sc) check_field(ctx, *c.sc, c.sc_path, c.label());
}

}  // namespace

Check check_seccompProfile_baseline() {
  return {"seccompProfile_baseline", Level::baseline,
          "seccomp must not be Unconfined (annotations before v1.19, seccompProfile.type after)",
          {{0, &seccomp_baseline_1_0, {}}, {19, &seccomp_baseline_1_19, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
