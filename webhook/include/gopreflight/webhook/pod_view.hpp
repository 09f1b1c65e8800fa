#pragma once
/// The typed model of a Pod (or of the Pod template inside a workload), as every rule, PSS check
/// and the injector read it. Filled once by the decoder (pod_decode.hpp), which is the one list of
/// what the engine reads: a field that is not here is not read by anything. Type errors are
/// reported by the decoder with their field path; here every value has its Kubernetes type.
/// Absent and null read the same (Kubernetes omits or nulls unset fields): an empty optional.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gopreflight::webhook {

/// seccompProfile and appArmorProfile: {type, localhostProfile}.
struct ProfileRef {
  std::optional<std::string> type;
  std::optional<std::string> localhost_profile;
};

struct SELinuxOptions {
  std::optional<std::string> type, user, role, level;
};

struct WindowsOptions {
  std::optional<bool> host_process;
  std::optional<std::string> run_as_user_name;
};

struct Capabilities {
  std::vector<std::string> add, drop;
  bool drop_set = false;  ///< drop is there (an empty list is not the same message as none)
};

struct Sysctl {
  std::optional<std::string> name, value;
};

/// A Pod's or a container's securityContext (the members of the other kind stay empty).
struct SecurityContext {
  std::optional<std::int64_t> run_as_user, run_as_group;  ///< above int64: clamped to INT64_MAX
  std::optional<bool> run_as_non_root;
  std::optional<ProfileRef> seccomp_profile, app_armor_profile;
  std::optional<SELinuxOptions> se_linux_options;
  std::optional<WindowsOptions> windows_options;
  // Container only.
  std::optional<bool> privileged, allow_privilege_escalation, read_only_root_filesystem;
  std::optional<std::string> proc_mount;
  std::optional<Capabilities> capabilities;
  // Pod only.
  std::optional<std::int64_t> fs_group;
  std::vector<std::int64_t> supplemental_groups;
  std::vector<Sysctl> sysctls;
};

struct EnvVar {
  std::optional<std::string> name, value;
  /// valueFrom as compact JSON text ("" when unset): the injector copies it, rules only ask
  /// whether it is there.
  std::string value_from;
};

struct Port {
  std::optional<std::int64_t> host_port, container_port;
  std::optional<std::string> protocol;
};

/// A probe or lifecycle hook handler that names a host: `field` is "livenessProbe",
/// "lifecycle.preStop", ...; `kind` "httpGet" or "tcpSocket". Only handlers with a non-empty host
/// are kept (PSS hostProbesAndHostLifecycle reads nothing else), in PSA's order.
struct HandlerHost {
  std::string field;
  std::string kind;
  std::string host;
};

/// A resource quantity as written: a string, or a number in nlohmann's rendering ("1", "1.5").
using Quantities = std::map<std::string, std::string, std::less<>>;

struct Container {
  std::string path;  ///< field path, e.g. "spec.template.spec.containers[1]"
  std::string list;  ///< "containers" | "initContainers" | "ephemeralContainers"
  std::size_t index = 0;
  std::string name;  ///< "" when unset
  std::optional<std::string> image, restart_policy;
  bool has_env = false;            ///< env is present and not null
  std::vector<EnvVar> env;
  bool env_from_key = false;       ///< the envFrom member is there (even null)
  std::size_t env_from_count = 0;
  Quantities limits, requests;
  std::vector<Port> ports;
  std::optional<SecurityContext> security_context;
  std::vector<HandlerHost> handler_hosts;
};

struct Volume {
  std::optional<std::string> name;
  std::vector<std::string> types;  ///< the volume-type members set (not null), sorted, without "name"
  bool host_path = false;          ///< hostPath is set
};

struct PodSpec {
  std::optional<bool> host_network, host_pid, host_ipc, host_users;
  std::optional<std::string> runtime_class_name;
  std::optional<std::string> os_name;
  std::optional<SecurityContext> security_context;
  bool has_init_containers = false;  ///< initContainers is present and not null
  std::vector<Container> containers, init_containers, ephemeral_containers;
  std::vector<Volume> volumes;
};

struct PodMetadata {
  std::optional<std::string> name, generate_name, ns;
  std::map<std::string, std::string, std::less<>> labels, annotations;
};

/// A Pod, or the Pod template inside a workload. `spec_path` is the field path of the spec inside
/// its object ("spec" for a Pod, "spec.template.spec" for a Deployment,
/// "spec.jobTemplate.spec.template.spec" for a CronJob); `metadata_path` likewise
/// ("metadata", "spec.template.metadata"). Rules build violation paths from these.
struct PodView {
  PodMetadata metadata;
  PodSpec spec;
  bool has_spec = true;  ///< false for a ReplicationController without a template
  std::string metadata_path = "metadata";
  std::string spec_path = "spec";

  /// Every container: containers, initContainers, ephemeralContainers, in that order.
  template <class F>
  void each_container(F f) const {
    for (const auto& c : spec.containers) f(c);
    for (const auto& c : spec.init_containers) f(c);
    for (const auto& c : spec.ephemeral_containers) f(c);
  }
};

}  // namespace gopreflight::webhook
