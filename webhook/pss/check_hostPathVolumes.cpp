/*
 * hostPathVolumes (baseline, v1.0): hostPath volumes must be forbidden.
 *   Restricted fields: spec.volumes[*].hostPath
 *   Allowed values:    undefined/null
 * Source: kubernetes.io "Pod Security Standards" (Baseline, HostPath Volumes);
 *         pod-security-admission policy/check_hostPathVolumes.go (one entry, v1.0).
 *         Under restricted, restrictedVolumes replaces this check.
 */
#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

void host_path_volumes_1_0(Ctx& ctx) {
  const auto& vols = ctx.spec->volumes;
  if (vols.empty()) return;
  const std::string vols_path = join_path(ctx.spec_path, "volumes");
  for (std::size_t i = 0; i < vols.size(); ++i) {
    if (!vols[i].host_path) continue;
    const std::string path = index_path(vols_path, i);
    const std::string name = vols[i].name.value_or("");
    ctx.violation(path + ".hostPath",
                  "volume \"" + name + "\" mounts a hostPath from the node; hostPath volumes " +
                      "are forbidden",
                  "replace the hostPath volume with an emptyDir, configMap, secret or "
                  "persistentVolumeClaim volume");
  }
}

}  // namespace

Check check_hostPathVolumes() {
  return {"hostPathVolumes", Level::baseline, "spec.volumes[*].hostPath must be unset",
          {{0, &host_path_volumes_1_0, {}}}};
}

}  // namespace gopreflight::webhook::pss::detail
