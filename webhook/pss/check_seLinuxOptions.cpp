/*
 * seLinuxOptions (baseline): custom SELinux users and roles are forbidden and the type is
 * limited to the container types.
 *   Restricted fields: spec.securityContext.seLinuxOptions,
 *                      spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seLinuxOptions
 *   .type allowed:  v1.0:  undefined/"", container_t, container_init_t, container_kvm_t
 *                   v1.31: the above + container_engine_t
 *   .user, .role allowed: undefined/""      (.level is not restricted)
 * Source: kubernetes.io "Pod Security Standards" (Baseline, SELinux);
 *         pod-security-admission policy/check_seLinuxOptions.go (entries v1.0 and v1.31,
 *         selinuxAllowedTypes1_0 / selinuxAllowedTypes1_31).
 */
#include <algorithm>
#include <array>

#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

constexpr std::array<std::string_view, 4> kTypes1_0 = {"", "container_t", "container_init_t",
                                                       "container_kvm_t"};
constexpr std::array<std::string_view, 5> kTypes1_31 = {
    "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"};

template <std::size_t N>
void check_options(Ctx& ctx, const SecurityContext& sc, const std::string& sc_path, const std::string& who,
                   const std::array<std::string_view, N>& types) {
  if (!sc.se_linux_options) return;
  const SELinuxOptions& opts = *sc.se_linux_options;
  const std::string path = sc_path + ".seLinuxOptions";
  const std::string type = opts.type.value_or("");
  if (std::find(types.begin(), types.end(), type) == types.end()) {
    std::vector<std::string> allowed;
    for (auto t : types)
      if (!t.empty()) allowed.emplace_back(t);
    ctx.violation(path + ".type",
                  who + " sets seLinuxOptions.type to \"" + type + "\"; must be one of " +
                      join(allowed) + " (or unset)",
                  "remove seLinuxOptions.type or set it to container_t");
  }
  for (std::string_view key : {"user", "role"}) {
    const std::string v = (key == "user" ? opts.user : opts.role).value_or("");
    if (v.empty()) continue;
    const std::string k(key);
    ctx.violation(path + "." + k,
                  who + " sets seLinuxOptions." + k + " to \"" + v + "\"; must be unset",
                  "remove seLinuxOptions." + k);
  }
}

template <std::size_t N>
void run(Ctx& ctx, const std::array<std::string_view, N>& types) {
  if (ctx.pod_sc) check_options(ctx, *ctx.pod_sc, ctx.pod_sc_path, "the Pod", types);
  for (const auto& c : ctx.containers)
    if (c.sc) check_options(ctx, *c.sc, c.sc_path, c.label(), types);
}

void se_linux_options_1_0(Ctx& ctx) { run(ctx, kTypes1_0); }
void se_linux_options_1_31(Ctx& ctx) { run(ctx, kTypes1_31); }

}  // namespace

Check check_seLinuxOptions() {
  return {"seLinuxOptions", Level::baseline,
          "seLinuxOptions: type limited to container types, user and role unset",
          {{0, &se_linux_options_1_0, {}}, {31, &se_linux_options_1_31, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
