/*
 * windowsHostProcess (baseline, v1.0): Windows HostProcess containers get privileged access to
 * the node and are forbidden.
 *   Restricted fields: spec.securityContext.windowsOptions.hostProcess,
 *                      spec.{initContainers,containers,ephemeralContainers}[*].securityContext.windowsOptions.hostProcess
 *   Allowed values:    undefined/null, false
 * Source: kubernetes.io "Pod Security Standards" (Baseline, HostProcess);
 *         pod-security-admission policy/check_windowsHostProcess.go (one entry, v1.0).
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void check_one(Ctx& ctx, const SecurityContext& sc, const std::string& sc_path, const std::string& who) {
  if (!sc.windows_options) return;
  const std::string path = sc_path + ".windowsOptions";
  const auto& hp = sc.windows_options->host_process;
  if (!hp || !*hp) return;
  ctx.violation(path + ".hostProcess",
                who + " sets windowsOptions.hostProcess: true; must be false or unset",
                "remove securityContext.windowsOptions.hostProcess");
}

void windows_host_process_1_0(Ctx& ctx) {
  if (ctx.pod_sc) check_one(ctx, *ctx.pod_sc, ctx.pod_sc_path, "the Pod");
  for (const auto& c : ctx.containers)
    if (c.sc) check_one(ctx, *c.sc, c.sc_path, c.label());
}

}  // namespace

Check check_windowsHostProcess() {
  return {"windowsHostProcess", Level::baseline, "windowsOptions.hostProcess must not be true",
          {{0, &windows_host_process_1_0, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
