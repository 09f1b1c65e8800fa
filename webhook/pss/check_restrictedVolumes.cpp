/*
 * restrictedVolumes (restricted, v1.0): only core, non-host volume types may be used.
 *   Restricted fields: spec.volumes[*] (the volume source)
 *   Allowed sources:   configMap, csi, downwardAPI, emptyDir, ephemeral, image,
 *                      persistentVolumeClaim, projected, secret
 *   Everything else (hostPath, nfs, iscsi, rbd, cephfs, glusterfs, gcePersistentDisk, ...,
 *   and any unknown source key) is forbidden.
 * A volume with no source at all is allowed: the API server defaults it to emptyDir.
 * Source: kubernetes.io "Pod Security Standards" (Restricted, Volume Types);
 *         pod-security-admission policy/check_restrictedVolumes.go (one entry, v1.0, which
 *         replaces hostPathVolumes). `image` was added to that v1.0 function in place
 *         (kubernetes PR #130394, v1.33), so PSA allows it at every pinned version; so do we.
 */
#include <algorithm>
#include <array>

#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {
namespace {

constexpr std::array<std::string_view, 9> kAllowed = {
    "configMap", "csi",   "downwardAPI",           "emptyDir", "ephemeral",
    "image",     "persistentVolumeClaim", "projected", "secret"};

void restricted_volumes_1_0(Ctx& ctx) {
  const auto& vols = ctx.spec->volumes;
  if (vols.empty()) return;
  const std::string vols_path = join_path(ctx.spec_path, "volumes");
  for (std::size_t i = 0; i < vols.size(); ++i) {
    for (const std::string& key : vols[i].types) {
      if (std::find(kAllowed.begin(), kAllowed.end(), key) != kAllowed.end()) continue;
      const std::string path = index_path(vols_path, i);
      const std::string name = vols[i].name.value_or("");
      std::vector<std::string> allowed(kAllowed.begin(), kAllowed.end());
      ctx.violation(path + "." + key,
                    "volume \"" + name + "\" uses the " + key +
                        " volume type; restricted allows only " + join(allowed),
                    "replace the " + key + " volume with a persistentVolumeClaim (or another "
                    "allowed type)");
    }
  }
}

}  // namespace

Check check_restrictedVolumes() {
  return {"restrictedVolumes", Level::restricted,
          "volumes limited to configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
          "persistentVolumeClaim, projected, secret",
          {{0, &restricted_volumes_1_0, {"hostPathVolumes"}}}};
}

}  // namespace gopreflight::webhook::pss::detail
