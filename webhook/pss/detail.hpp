#pragma once
// Internals of the PSS evaluator: the versioned-check registry types and the evaluation context
// the checks write into. Checks read the typed Pod model (pod_view.hpp): the decoder has already
// refused wrong types, with their field path.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/webhook/pss.hpp"

namespace gopreflight::webhook::pss::detail {

/// One container (init, regular or ephemeral) as the checks see it; borrows from the model.
struct ContainerRef {
  const Container* obj;        ///< the container (never null)
  const SecurityContext* sc;   ///< its securityContext, or null when unset
  const std::string& path;     ///< e.g. "spec.containers[1]"
  std::string sc_path;         ///< path + ".securityContext"
  const std::string& name;
  /// `container "app"` (or `container at <path>` when unnamed), for messages.
  std::string label() const {
    return name.empty() ? "container at " + path : "container \"" + name + "\"";
  }
};

/// Everything a check reads, and where it writes. Built once per evaluate().
class Ctx {
 public:
  const PodMetadata* meta = nullptr;     ///< metadata (never null when checks run)
  const PodSpec* spec = nullptr;         ///< PodSpec (never null when checks run)
  const SecurityContext* pod_sc = nullptr;  ///< spec.securityContext or null
  std::string pod_sc_path;          ///< spec_path + ".securityContext"
  std::string meta_path;            ///< "metadata" / "spec.template.metadata"
  std::string spec_path;            ///< "spec" / "spec.template.spec"
  std::vector<ContainerRef> containers;  ///< init, then regular, then ephemeral (PSA order)
  int minor = 0;                    ///< resolved version (latest = newest_known_minor())
  std::string version_str;          ///< as requested: "v1.29" / "latest"

  /// Which check is running (set by the evaluator before each call).
  std::string_view check_id;
  std::string_view check_level;

  explicit Ctx(std::vector<Violation>& out) : out_(out) {}

  void violation(std::string path, std::string message, std::string fix);

 private:
  std::vector<Violation>& out_;
};

/// "a.b" with a dot only when `base` is non-empty.
std::string join_path(const std::string& base, std::string_view key);
/// `base[i]`
std::string index_path(const std::string& base, std::size_t i);
/// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");
/// True when spec.os.name is "windows".
bool pod_os_is_windows(Ctx& ctx);
/// True when spec.hostUsers is false: the Pod runs in a user namespace.
bool pod_in_user_namespace(Ctx& ctx);

using CheckFn = void (*)(Ctx&);

/// One behaviour of a check, in force from v1.<min_minor> until the next entry.
struct VersionedCheck {
  int min_minor = 0;
  CheckFn fn = nullptr;
  std::vector<std::string_view> overrides;  ///< baseline check ids this restricted entry replaces
};

struct Check {
  std::string_view id;
  Level level = Level::baseline;
  std::string_view description;
  std::vector<VersionedCheck> versions;  ///< strictly increasing min_minor
};

/// Validates a check list as PSA's registry does: non-empty unique ids, baseline or restricted
/// level, at least one entry, strictly increasing versions, functions set, overrides only on
/// restricted checks and only naming baseline checks in the list.
std::vector<std::string> validate_checks(const std::vector<Check>& checks);

/// The built-in registry (explicit list in registry.cpp).
const std::vector<Check>& builtin_checks();

// One factory per check file.
Check check_hostNamespaces();
Check check_privileged();
Check check_capabilities_baseline();
Check check_hostPathVolumes();
Check check_hostPorts();
Check check_appArmorProfile();
Check check_seLinuxOptions();
Check check_procMount();
Check check_seccompProfile_baseline();
Check check_sysctls();
Check check_windowsHostProcess();
Check check_hostProbesAndHostLifecycle();
Check check_restrictedVolumes();
Check check_allowPrivilegeEscalation();
Check check_runAsNonRoot();
Check check_runAsUser();
Check check_seccompProfile_restricted();
Check check_capabilities_restricted();
Check check_procMount_restricted();

/// procMount other than Default is forbidden (procMount v1.0 and procMount_restricted).
void proc_mount_strict(Ctx& ctx);

/// Sysctl allow-list of the baseline "sysctls" check at minor version `minor`.
std::vector<std::string> sysctls_allowed(int minor);

}  // namespace gopreflight::webhook::pss::detail
