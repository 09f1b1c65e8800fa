#pragma once
// Internals of the PSS evaluator: the versioned-check registry types, the evaluation context the
// checks write into, and typed JSON accessors that report wrong types instead of throwing.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/pss.hpp"

namespace gopreflight::webhook::pss::detail {

using json = nlohmann::json;

/// One container (init, regular or ephemeral) as the checks see it.
struct ContainerRef {
  const json* obj = nullptr;  ///< the container object (never null)
  const json* sc = nullptr;   ///< its securityContext object, or null when unset / wrong type
  std::string path;           ///< e.g. "spec.containers[1]"
  std::string sc_path;        ///< path + ".securityContext"
  std::string name;
  /// `container "app"` (or `container at <path>` when unnamed), for messages.
  std::string label() const {
    return name.empty() ? "container at " + path : "container \"" + name + "\"";
  }
};

/// Everything a check reads, and where it writes. Built once per evaluate().
class Ctx {
 public:
  const json* meta = nullptr;       ///< metadata object (may be null)
  const json* spec = nullptr;       ///< PodSpec object (never null when checks run)
  const json* pod_sc = nullptr;     ///< spec.securityContext object or null
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
  /// Reports `path` as having the wrong JSON type (once per path per evaluation).
  void wrong_type(const std::string& path, std::string_view expected, const json& found);

  // Typed accessors. Absent and null mean "unset" (as in Kubernetes) and give nullptr/nullopt.
  // A present value of another type is reported via wrong_type() and also gives nullptr/nullopt.
  const json* object(const json& parent, std::string_view key, const std::string& parent_path);
  const json* array(const json& parent, std::string_view key, const std::string& parent_path);
  std::optional<bool> boolean(const json& parent, std::string_view key, const std::string& parent_path);
  std::optional<std::string> string(const json& parent, std::string_view key,
                                    const std::string& parent_path);
  std::optional<std::int64_t> integer(const json& parent, std::string_view key,
                                      const std::string& parent_path);
  /// Element `i` of an array must be a string; otherwise reported and nullopt.
  std::optional<std::string> string_at(const json& arr, std::size_t i, const std::string& arr_path);

 private:
  std::vector<Violation>& out_;
  std::set<std::string> type_error_paths_;
};

/// parent[key] as the typed accessors read it (absent or null: nullptr), reporting nothing.
const json* peek(const json& parent, std::string_view key);

/// ctx.object(parent, key, path()) / ctx.array(...), building the path only when a wrong type
/// has to be reported: the same answers and reports, without a string per call on the happy path.
template <class PathFn>
const json* lazy_object(Ctx& ctx, const json& parent, std::string_view key, PathFn path) {
  const json* v = peek(parent, key);
  if (v == nullptr || v->is_object()) return v;
  return ctx.object(parent, key, path());
}
template <class PathFn>
const json* lazy_array(Ctx& ctx, const json& parent, std::string_view key, PathFn path) {
  const json* v = peek(parent, key);
  if (v == nullptr || v->is_array()) return v;
  return ctx.array(parent, key, path());
}

/// "a.b" with a dot only when `base` is non-empty.
std::string join_path(const std::string& base, std::string_view key);
/// `base[i]`
std::string index_path(const std::string& base, std::size_t i);
/// JSON type name for messages: "string", "number", "object", ...
std::string_view type_name(const json& j);
/// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");
/// True when spec.os.name is "windows" (reports a wrong type).
bool pod_os_is_windows(Ctx& ctx);
/// True when spec.hostUsers is false: the Pod runs in a user namespace (reports a wrong type).
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
