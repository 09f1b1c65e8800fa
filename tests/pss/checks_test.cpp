// Table-driven tests of every PSS check at the versions where its behaviour changes. Each row
// starts from a fixture Pod (restricted-pod.json passes restricted; minimal-pod.json passes
// baseline), applies a JSON Patch (RFC 6902), evaluates at (level, version) and states the exact
// set of violations as "checkId@path".
#include <doctest/doctest.h>

#include <set>

#include "pss_test_util.hpp"

using namespace pss_test;

namespace {

struct Row {
  const char* name;
  const char* base;   // "restricted" or "minimal"
  const char* patch;  // JSON Patch array
  const char* level;
  const char* version;
  std::vector<std::string> expect;
};

const std::string C0 = "spec.containers[0]";
const std::string SC0 = "spec.containers[0].securityContext";
const std::string ISC0 = "spec.initContainers[0].securityContext";
const std::string PSC = "spec.securityContext";

// clang-format off
const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
  // --- hostNamespaces (baseline, v1.0)
  {"hostNetwork true", "minimal", R"([{"op":"add","path":"/spec/hostNetwork","value":true}])", "baseline", "v1.0", {"hostNamespaces@spec.hostNetwork"}},
  {"hostPID and hostIPC true", "minimal", R"([{"op":"add","path":"/spec/hostPID","value":true},{"op":"add","path":"/spec/hostIPC","value":true}])", "baseline", "latest", {"hostNamespaces@spec.hostIPC", "hostNamespaces@spec.hostPID"}},
  {"hostNetwork false", "minimal", R"([{"op":"add","path":"/spec/hostNetwork","value":false}])", "baseline", "latest", {}},
  {"hostNetwork under restricted", "restricted", R"([{"op":"add","path":"/spec/hostNetwork","value":true}])", "restricted", "latest", {"hostNamespaces@spec.hostNetwork"}},
  {"privileged level checks nothing", "minimal", R"([{"op":"add","path":"/spec/hostNetwork","value":true}])", "privileged", "latest", {}},

  // --- privileged (baseline, v1.0): containers, initContainers, ephemeralContainers
  {"privileged container", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"privileged":true}}])", "baseline", "v1.0", {"privileged@" + SC0 + ".privileged"}},
  {"privileged init container", "minimal", R"([{"op":"add","path":"/spec/initContainers","value":[{"name":"i","securityContext":{"privileged":true}}]}])", "baseline", "latest", {"privileged@spec.initContainers[0].securityContext.privileged"}},
  {"privileged ephemeral container", "minimal", R"([{"op":"add","path":"/spec/ephemeralContainers","value":[{"name":"dbg","securityContext":{"privileged":true}}]}])", "baseline", "latest", {"privileged@spec.ephemeralContainers[0].securityContext.privileged"}},
  {"privileged false", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"privileged":false}}])", "baseline", "latest", {}},

  // --- capabilities_baseline (baseline, v1.0); replaced by capabilities_restricted from v1.22
  {"add NET_RAW", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"capabilities":{"add":["NET_RAW"]}}}])", "baseline", "v1.0", {"capabilities_baseline@" + SC0 + ".capabilities.add"}},
  {"add default caps", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"capabilities":{"add":["CHOWN","NET_BIND_SERVICE","SYS_CHROOT"]}}}])", "baseline", "latest", {}},
  {"restricted v1.21 uses baseline caps: SYS_ADMIN", "restricted", R"([{"op":"add","path":"/spec/containers/0/securityContext/capabilities/add/-","value":"SYS_ADMIN"}])", "restricted", "v1.21", {"capabilities_baseline@" + SC0 + ".capabilities.add"}},
  {"restricted v1.21 allows CHOWN", "restricted", R"([{"op":"add","path":"/spec/containers/0/securityContext/capabilities/add/-","value":"CHOWN"}])", "restricted", "v1.21", {}},
  {"restricted v1.22 forbids CHOWN", "restricted", R"([{"op":"add","path":"/spec/containers/0/securityContext/capabilities/add/-","value":"CHOWN"}])", "restricted", "v1.22", {"capabilities_restricted@" + SC0 + ".capabilities.add"}},

  // --- hostPathVolumes (baseline, v1.0); replaced by restrictedVolumes under restricted
  {"hostPath volume", "minimal", R"([{"op":"add","path":"/spec/volumes","value":[{"name":"h","hostPath":{"path":"/"}}]}])", "baseline", "v1.0", {"hostPathVolumes@spec.volumes[0].hostPath"}},
  {"hostPath under restricted reported once", "restricted", R"([{"op":"add","path":"/spec/volumes/-","value":{"name":"h","hostPath":{"path":"/"}}}])", "restricted", "latest", {"restrictedVolumes@spec.volumes[2].hostPath"}},

  // --- hostPorts (baseline, v1.0)
  {"hostPort set", "minimal", R"([{"op":"add","path":"/spec/containers/0/ports","value":[{"containerPort":80},{"containerPort":443,"hostPort":443}]}])", "baseline", "v1.0", {"hostPorts@" + C0 + ".ports[1].hostPort"}},
  {"hostPort 0", "minimal", R"([{"op":"add","path":"/spec/containers/0/ports","value":[{"containerPort":80,"hostPort":0}]}])", "baseline", "latest", {}},

  // --- appArmorProfile (baseline, v1.0: annotations and the field at every version)
  {"apparmor annotation unconfined", "minimal", R"([{"op":"add","path":"/metadata/annotations","value":{"container.apparmor.security.beta.kubernetes.io/app":"unconfined"}}])", "baseline", "v1.0", {"appArmorProfile@metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]"}},
  {"apparmor annotation localhost", "minimal", R"([{"op":"add","path":"/metadata/annotations","value":{"container.apparmor.security.beta.kubernetes.io/app":"localhost/k8s-nginx"}}])", "baseline", "latest", {}},
  {"apparmor field Unconfined v1.29", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"appArmorProfile":{"type":"Unconfined"}}}])", "baseline", "v1.29", {"appArmorProfile@" + PSC + ".appArmorProfile.type"}},
  {"apparmor field Unconfined v1.30", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"appArmorProfile":{"type":"Unconfined"}}}])", "baseline", "v1.30", {"appArmorProfile@" + PSC + ".appArmorProfile.type"}},
  {"apparmor container field Localhost", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"appArmorProfile":{"type":"Localhost","localhostProfile":"p"}}}])", "baseline", "v1.30", {}},
  {"apparmor container field Unconfined", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"appArmorProfile":{"type":"Unconfined"}}}])", "baseline", "latest", {"appArmorProfile@" + SC0 + ".appArmorProfile.type"}},

  // --- seLinuxOptions (baseline, v1.0 / v1.31)
  {"selinux container_engine_t v1.30", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"seLinuxOptions":{"type":"container_engine_t"}}}])", "baseline", "v1.30", {"seLinuxOptions@" + SC0 + ".seLinuxOptions.type"}},
  {"selinux container_engine_t v1.31", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"seLinuxOptions":{"type":"container_engine_t"}}}])", "baseline", "v1.31", {}},
  {"selinux user and role", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"seLinuxOptions":{"user":"system_u","role":"system_r","type":"container_t"}}}])", "baseline", "latest", {"seLinuxOptions@" + SC0 + ".seLinuxOptions.role", "seLinuxOptions@" + SC0 + ".seLinuxOptions.user"}},
  {"selinux pod type spc_t", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"seLinuxOptions":{"type":"spc_t"}}}])", "baseline", "v1.0", {"seLinuxOptions@" + PSC + ".seLinuxOptions.type"}},
  {"selinux level only", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"seLinuxOptions":{"level":"s0:c123,c456"}}}])", "baseline", "latest", {}},

  // --- procMount (baseline v1.0 / v1.35) and procMount_restricted (restricted v1.35)
  {"procMount Unmasked", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"procMount":"Unmasked"}}])", "baseline", "v1.0", {"procMount@" + SC0 + ".procMount"}},
  {"procMount Default", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"procMount":"Default"}}])", "baseline", "latest", {}},
  {"procMount userns v1.34 baseline", "minimal", R"([{"op":"add","path":"/spec/hostUsers","value":false},{"op":"add","path":"/spec/containers/0/securityContext","value":{"procMount":"Unmasked"}}])", "baseline", "v1.34", {"procMount@" + SC0 + ".procMount"}},
  {"procMount userns v1.35 baseline", "minimal", R"([{"op":"add","path":"/spec/hostUsers","value":false},{"op":"add","path":"/spec/containers/0/securityContext","value":{"procMount":"Unmasked"}}])", "baseline", "v1.35", {}},
  {"procMount userns v1.34 restricted", "restricted", R"([{"op":"add","path":"/spec/hostUsers","value":false},{"op":"add","path":"/spec/containers/0/securityContext/procMount","value":"Unmasked"}])", "restricted", "v1.34", {"procMount@" + SC0 + ".procMount"}},
  {"procMount userns v1.35 restricted", "restricted", R"([{"op":"add","path":"/spec/hostUsers","value":false},{"op":"add","path":"/spec/containers/0/securityContext/procMount","value":"Unmasked"}])", "restricted", "v1.35", {"procMount_restricted@" + SC0 + ".procMount"}},

  // --- seccompProfile_baseline (v1.0 annotations / v1.19 fields)
  {"seccomp pod annotation unconfined v1.18", "minimal", R"([{"op":"add","path":"/metadata/annotations","value":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined"}}])", "baseline", "v1.18", {"seccompProfile_baseline@metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]"}},
  {"seccomp pod annotation unconfined v1.19", "minimal", R"([{"op":"add","path":"/metadata/annotations","value":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined"}}])", "baseline", "v1.19", {}},
  {"seccomp container annotation", "minimal", R"([{"op":"add","path":"/metadata/annotations","value":{"container.seccomp.security.alpha.kubernetes.io/app":"unconfined","container.seccomp.security.alpha.kubernetes.io/other":"unconfined"}}])", "baseline", "v1.0", {"seccompProfile_baseline@metadata.annotations[container.seccomp.security.alpha.kubernetes.io/app]"}},
  {"seccomp annotation docker/default", "minimal", R"([{"op":"add","path":"/metadata/annotations","value":{"seccomp.security.alpha.kubernetes.io/pod":"docker/default"}}])", "baseline", "v1.0", {}},
  {"seccomp field Unconfined v1.18", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"seccompProfile":{"type":"Unconfined"}}}])", "baseline", "v1.18", {}},
  {"seccomp field Unconfined v1.19", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"seccompProfile":{"type":"Unconfined"}}}])", "baseline", "v1.19", {"seccompProfile_baseline@" + PSC + ".seccompProfile.type"}},
  {"seccomp container Unconfined", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"seccompProfile":{"type":"Unconfined"}}}])", "baseline", "latest", {"seccompProfile_baseline@" + SC0 + ".seccompProfile.type"}},

  // --- sysctls (baseline: v1.0, v1.27, v1.29, v1.32, v1.37)
  {"ip_local_reserved_ports v1.26", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"net.ipv4.ip_local_reserved_ports","value":"30000"}]}}])", "baseline", "v1.26", {"sysctls@" + PSC + ".sysctls[0].name"}},
  {"ip_local_reserved_ports v1.27", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"net.ipv4.ip_local_reserved_ports","value":"30000"}]}}])", "baseline", "v1.27", {}},
  {"tcp_keepalive_time v1.28", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"net.ipv4.tcp_keepalive_time","value":"600"}]}}])", "baseline", "v1.28", {"sysctls@" + PSC + ".sysctls[0].name"}},
  {"tcp_fin_timeout v1.29", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"net.ipv4.tcp_fin_timeout","value":"30"},{"name":"net.ipv4.tcp_keepalive_probes","value":"5"}]}}])", "baseline", "v1.29", {}},
  {"tcp_rmem v1.31", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"kernel.shm_rmid_forced","value":"1"},{"name":"net.ipv4.tcp_rmem","value":"4096 87380 6291456"}]}}])", "baseline", "v1.31", {"sysctls@" + PSC + ".sysctls[1].name"}},
  {"tcp_rmem v1.32", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"net.ipv4.tcp_rmem","value":"4096 87380 6291456"},{"name":"net.ipv4.tcp_wmem","value":"4096 16384 4194304"}]}}])", "baseline", "v1.32", {}},
  {"tcp_notsent_lowat v1.36", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"net.ipv4.tcp_notsent_lowat","value":"16384"}]}}])", "baseline", "v1.36", {"sysctls@" + PSC + ".sysctls[0].name"}},
  {"tcp_notsent_lowat v1.37", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"net.ipv4.tcp_notsent_lowat","value":"16384"},{"name":"net.ipv4.tcp_slow_start_after_idle","value":"0"}]}}])", "baseline", "v1.37", {}},
  {"somaxconn never", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"net.core.somaxconn","value":"1024"}]}}])", "baseline", "latest", {"sysctls@" + PSC + ".sysctls[0].name"}},
  {"future version behaves as latest", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":"net.ipv4.tcp_slow_start_after_idle","value":"0"},{"name":"vm.swappiness","value":"1"}]}}])", "baseline", "v1.99", {"sysctls@" + PSC + ".sysctls[1].name"}},

  // --- windowsHostProcess (baseline, v1.0)
  {"hostProcess pod", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"windowsOptions":{"hostProcess":true}}}])", "baseline", "v1.0", {"windowsHostProcess@" + PSC + ".windowsOptions.hostProcess"}},
  {"hostProcess container", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"windowsOptions":{"hostProcess":true}}}])", "baseline", "latest", {"windowsHostProcess@" + SC0 + ".windowsOptions.hostProcess"}},
  {"hostProcess false", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"windowsOptions":{"hostProcess":false}}}])", "baseline", "latest", {}},

  // --- hostProbesAndHostLifecycle (baseline, v1.34)
  {"probe host v1.33", "minimal", R"([{"op":"add","path":"/spec/containers/0/livenessProbe","value":{"httpGet":{"host":"169.254.169.254","port":80}}}])", "baseline", "v1.33", {}},
  {"probe host v1.34", "minimal", R"([{"op":"add","path":"/spec/containers/0/livenessProbe","value":{"httpGet":{"host":"169.254.169.254","port":80}}}])", "baseline", "v1.34", {"hostProbesAndHostLifecycle@" + C0 + ".livenessProbe.httpGet.host"}},
  {"lifecycle tcpSocket host", "minimal", R"([{"op":"add","path":"/spec/containers/0/lifecycle","value":{"preStop":{"tcpSocket":{"host":"db","port":5432}}}},{"op":"add","path":"/spec/containers/0/startupProbe","value":{"tcpSocket":{"host":"","port":80}}}])", "baseline", "latest", {"hostProbesAndHostLifecycle@" + C0 + ".lifecycle.preStop.tcpSocket.host"}},

  // --- restrictedVolumes (restricted, v1.0)
  {"nfs volume", "restricted", R"([{"op":"add","path":"/spec/volumes/-","value":{"name":"n","nfs":{"server":"s","path":"/"}}}])", "restricted", "v1.0", {"restrictedVolumes@spec.volumes[2].nfs"}},
  {"nfs volume at baseline", "restricted", R"([{"op":"add","path":"/spec/volumes/-","value":{"name":"n","nfs":{"server":"s","path":"/"}}}])", "baseline", "latest", {}},
  {"image volume at v1.0", "restricted", R"([{"op":"add","path":"/spec/volumes/-","value":{"name":"m","image":{"reference":"r/m:1"}}}])", "restricted", "v1.0", {}},
  {"volume without source", "restricted", R"([{"op":"add","path":"/spec/volumes/-","value":{"name":"bare"}}])", "restricted", "latest", {}},
  {"projected, secret, pvc, csi, ephemeral, downwardAPI", "restricted", R"([{"op":"add","path":"/spec/volumes/-","value":{"name":"a","projected":{"sources":[]}}},{"op":"add","path":"/spec/volumes/-","value":{"name":"b","secret":{"secretName":"s"}}},{"op":"add","path":"/spec/volumes/-","value":{"name":"c","persistentVolumeClaim":{"claimName":"c"}}},{"op":"add","path":"/spec/volumes/-","value":{"name":"d","csi":{"driver":"x"}}},{"op":"add","path":"/spec/volumes/-","value":{"name":"e","ephemeral":{}}},{"op":"add","path":"/spec/volumes/-","value":{"name":"f","downwardAPI":{}}}])", "restricted", "latest", {}},

  // --- allowPrivilegeEscalation (restricted, v1.8 / v1.25 Windows exemption)
  {"APE unset v1.7", "restricted", R"([{"op":"remove","path":"/spec/containers/0/securityContext/allowPrivilegeEscalation"}])", "restricted", "v1.7", {}},
  {"APE unset v1.8", "restricted", R"([{"op":"remove","path":"/spec/containers/0/securityContext/allowPrivilegeEscalation"}])", "restricted", "v1.8", {"allowPrivilegeEscalation@" + SC0 + ".allowPrivilegeEscalation"}},
  {"APE true init", "restricted", R"([{"op":"replace","path":"/spec/initContainers/0/securityContext/allowPrivilegeEscalation","value":true}])", "restricted", "latest", {"allowPrivilegeEscalation@" + ISC0 + ".allowPrivilegeEscalation"}},
  {"APE unset windows v1.24", "restricted", R"([{"op":"add","path":"/spec/os","value":{"name":"windows"}},{"op":"remove","path":"/spec/containers/0/securityContext/allowPrivilegeEscalation"}])", "restricted", "v1.24", {"allowPrivilegeEscalation@" + SC0 + ".allowPrivilegeEscalation"}},
  {"APE unset windows v1.25", "restricted", R"([{"op":"add","path":"/spec/os","value":{"name":"windows"}},{"op":"remove","path":"/spec/containers/0/securityContext/allowPrivilegeEscalation"}])", "restricted", "v1.25", {}},
  {"APE unset linux v1.25", "restricted", R"([{"op":"add","path":"/spec/os","value":{"name":"linux"}},{"op":"remove","path":"/spec/containers/0/securityContext/allowPrivilegeEscalation"}])", "restricted", "v1.25", {"allowPrivilegeEscalation@" + SC0 + ".allowPrivilegeEscalation"}},

  // --- runAsNonRoot (restricted, v1.0 / v1.35 user-namespace relaxation)
  {"runAsNonRoot unset everywhere", "restricted", R"([{"op":"remove","path":"/spec/securityContext/runAsNonRoot"}])", "restricted", "v1.0", {"runAsNonRoot@" + ISC0 + ".runAsNonRoot", "runAsNonRoot@" + SC0 + ".runAsNonRoot"}},
  {"runAsNonRoot pod false", "restricted", R"([{"op":"replace","path":"/spec/securityContext/runAsNonRoot","value":false}])", "restricted", "latest", {"runAsNonRoot@" + ISC0 + ".runAsNonRoot", "runAsNonRoot@" + SC0 + ".runAsNonRoot", "runAsNonRoot@" + PSC + ".runAsNonRoot"}},
  {"runAsNonRoot per container", "restricted", R"([{"op":"remove","path":"/spec/securityContext/runAsNonRoot"},{"op":"add","path":"/spec/containers/0/securityContext/runAsNonRoot","value":true},{"op":"add","path":"/spec/initContainers/0/securityContext/runAsNonRoot","value":true}])", "restricted", "latest", {}},
  {"runAsNonRoot container false overrides pod", "restricted", R"([{"op":"add","path":"/spec/containers/0/securityContext/runAsNonRoot","value":false}])", "restricted", "latest", {"runAsNonRoot@" + SC0 + ".runAsNonRoot"}},
  {"runAsNonRoot userns v1.34", "restricted", R"([{"op":"add","path":"/spec/hostUsers","value":false},{"op":"remove","path":"/spec/securityContext/runAsNonRoot"}])", "restricted", "v1.34", {"runAsNonRoot@" + ISC0 + ".runAsNonRoot", "runAsNonRoot@" + SC0 + ".runAsNonRoot"}},
  {"runAsNonRoot userns v1.35", "restricted", R"([{"op":"add","path":"/spec/hostUsers","value":false},{"op":"remove","path":"/spec/securityContext/runAsNonRoot"}])", "restricted", "v1.35", {}},

  // --- runAsUser (restricted, v1.23 / v1.35)
  {"runAsUser 0 v1.22", "restricted", R"([{"op":"replace","path":"/spec/securityContext/runAsUser","value":0}])", "restricted", "v1.22", {}},
  {"runAsUser 0 v1.23", "restricted", R"([{"op":"replace","path":"/spec/securityContext/runAsUser","value":0}])", "restricted", "v1.23", {"runAsUser@" + PSC + ".runAsUser"}},
  {"runAsUser 0 container", "restricted", R"([{"op":"add","path":"/spec/containers/0/securityContext/runAsUser","value":0}])", "restricted", "latest", {"runAsUser@" + SC0 + ".runAsUser"}},
  {"runAsUser 0 userns v1.34", "restricted", R"([{"op":"add","path":"/spec/hostUsers","value":false},{"op":"replace","path":"/spec/securityContext/runAsUser","value":0}])", "restricted", "v1.34", {"runAsUser@" + PSC + ".runAsUser"}},
  {"runAsUser 0 userns v1.35", "restricted", R"([{"op":"add","path":"/spec/hostUsers","value":false},{"op":"replace","path":"/spec/securityContext/runAsUser","value":0}])", "restricted", "v1.35", {}},

  // --- seccompProfile_restricted (restricted, v1.19 / v1.25 Windows exemption)
  {"seccomp unset restricted v1.18", "restricted", R"([{"op":"remove","path":"/spec/securityContext/seccompProfile"}])", "restricted", "v1.18", {}},
  {"seccomp unset restricted v1.19", "restricted", R"([{"op":"remove","path":"/spec/securityContext/seccompProfile"}])", "restricted", "v1.19", {"seccompProfile_restricted@" + ISC0 + ".seccompProfile.type", "seccompProfile_restricted@" + SC0 + ".seccompProfile.type"}},
  {"seccomp per container", "restricted", R"([{"op":"remove","path":"/spec/securityContext/seccompProfile"},{"op":"add","path":"/spec/containers/0/securityContext/seccompProfile","value":{"type":"Localhost","localhostProfile":"p.json"}},{"op":"add","path":"/spec/initContainers/0/securityContext/seccompProfile","value":{"type":"RuntimeDefault"}}])", "restricted", "latest", {}},
  {"seccomp container Unconfined under pod default", "restricted", R"([{"op":"add","path":"/spec/containers/0/securityContext/seccompProfile","value":{"type":"Unconfined"}}])", "restricted", "latest", {"seccompProfile_restricted@" + SC0 + ".seccompProfile.type"}},
  {"seccomp unset windows v1.24", "restricted", R"([{"op":"add","path":"/spec/os","value":{"name":"windows"}},{"op":"remove","path":"/spec/securityContext/seccompProfile"}])", "restricted", "v1.24", {"seccompProfile_restricted@" + ISC0 + ".seccompProfile.type", "seccompProfile_restricted@" + SC0 + ".seccompProfile.type"}},
  {"seccomp unset windows v1.25", "restricted", R"([{"op":"add","path":"/spec/os","value":{"name":"windows"}},{"op":"remove","path":"/spec/securityContext/seccompProfile"}])", "restricted", "v1.25", {}},

  // --- capabilities_restricted (restricted, v1.22 / v1.25 Windows exemption)
  {"no drop ALL v1.21", "restricted", R"([{"op":"remove","path":"/spec/containers/0/securityContext/capabilities/drop"}])", "restricted", "v1.21", {}},
  {"no drop ALL v1.22", "restricted", R"([{"op":"remove","path":"/spec/containers/0/securityContext/capabilities/drop"}])", "restricted", "v1.22", {"capabilities_restricted@" + SC0 + ".capabilities.drop"}},
  {"no capabilities at all", "restricted", R"([{"op":"remove","path":"/spec/initContainers/0/securityContext/capabilities"}])", "restricted", "latest", {"capabilities_restricted@" + ISC0 + ".capabilities.drop"}},
  {"drop NET_RAW only and lowercase all", "restricted", R"([{"op":"replace","path":"/spec/containers/0/securityContext/capabilities/drop","value":["NET_RAW","all"]}])", "restricted", "latest", {"capabilities_restricted@" + SC0 + ".capabilities.drop"}},
  {"add SYS_TIME", "restricted", R"([{"op":"add","path":"/spec/containers/0/securityContext/capabilities/add/-","value":"SYS_TIME"}])", "restricted", "latest", {"capabilities_restricted@" + SC0 + ".capabilities.add"}},
  {"no drop windows v1.24", "restricted", R"([{"op":"add","path":"/spec/os","value":{"name":"windows"}},{"op":"remove","path":"/spec/containers/0/securityContext/capabilities"}])", "restricted", "v1.24", {"capabilities_restricted@" + SC0 + ".capabilities.drop"}},
  {"no drop windows v1.25", "restricted", R"([{"op":"add","path":"/spec/os","value":{"name":"windows"}},{"op":"remove","path":"/spec/containers/0/securityContext/capabilities"}])", "restricted", "v1.25", {}},

  // --- restricted includes baseline
  {"restricted includes baseline hostPort", "restricted", R"([{"op":"add","path":"/spec/containers/0/ports/0/hostPort","value":8080}])", "restricted", "v1.0", {"hostPorts@" + C0 + ".ports[0].hostPort"}},
  };
  return r;
}
// clang-format on

}  // namespace

TEST_CASE("every PSS check, at the versions where it changes") {
  const json restricted = load_fixture("restricted-pod.json");
  const json minimal = load_fixture("minimal-pod.json");
  for (const auto& row : rows()) {
    const std::string name = row.name, lvl = row.level, ver = row.version;
    CAPTURE(name);
    CAPTURE(lvl);
    CAPTURE(ver);
    json pod = std::string(row.base) == "restricted" ? restricted : minimal;
    pod = pod.patch(json::parse(row.patch));
    const auto got = keys(eval_pod(pod, row.level, row.version));
    auto want = row.expect;
    std::sort(want.begin(), want.end());
    CHECK_MESSAGE(got == want, "got " << show(got) << " want " << show(want));
  }
}

TEST_CASE("the table exercises a failing case of every registered check") {
  std::set<std::string> failing;
  for (const auto& row : rows())
    for (const auto& k : row.expect) failing.insert(k.substr(0, k.find('@')));
  for (const auto& c : pss::list_checks()) {
    CAPTURE(c.id);
    CHECK(failing.count(c.id) == 1);
  }
}

TEST_CASE("the fixtures are what the table assumes") {
  const json restricted = load_fixture("restricted-pod.json");
  const json minimal = load_fixture("minimal-pod.json");
  CHECK(eval_pod(minimal, "baseline", "latest").empty());
  CHECK_FALSE(eval_pod(minimal, "restricted", "latest").empty());
  // A fully restricted-compliant Pod passes at every version, v1.0 ... v1.37, and latest.
  CHECK(eval_pod(restricted, "restricted", "latest").empty());
  for (int minor = 0; minor <= 37; ++minor) {
    CAPTURE(minor);
    CHECK(eval_pod(restricted, "restricted", "v1." + std::to_string(minor)).empty());
  }
}
