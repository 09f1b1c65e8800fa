#pragma once
/// Pod Security Standards, evaluated with the per-version behaviour of Kubernetes Pod Security
/// Admission. Pure: a PodView in, violations out. The checks live one per file in webhook/pss/.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/webhook/pod_view.hpp"

namespace gopreflight::webhook::pss {

enum class Level { privileged, baseline, restricted };

/// A PSS version: v1.N, or latest (newest behaviour we know).
struct Version {
  int minor = 0;        ///< N in v1.N (ignored when latest)
  bool latest = true;
  /// "latest" or "v1.N" (N without leading zeros, as PSA accepts). Versions newer than the newest
  /// check change parse fine and behave as latest (PSA clamps them the same way).
  static std::optional<Version> parse(std::string_view s);
  std::string str() const;
};

std::optional<Level> parse_level(std::string_view s);
std::string_view to_string(Level l);

/// Check id of the violation for a Pod without a spec (it cannot be judged, so it is denied).
/// Wrong JSON types never reach the checks: the decoder (pod_decode.hpp) refuses them with the path.
inline constexpr std::string_view kInvalidTypeCheckId = "invalidType";
/// Check id of the violation emitted if the built-in check registry is inconsistent (never
/// expected; it makes every evaluation deny instead of silently allowing).
inline constexpr std::string_view kRegistryErrorCheckId = "registryError";

/// One PSS finding. `path` is the full field path inside the object
/// (PodView::spec_path + ".containers[1].securityContext.runAsNonRoot").
/// Text output composes as: `<path>: <message> (<level>, <version>); fix: <fix>`.
struct Violation {
  std::string check_id;  ///< PSA check id, e.g. "runAsNonRoot", "hostNamespaces", "sysctls"
  std::string level;     ///< "baseline" or "restricted": the level whose check failed
  std::string path;
  std::string message;   ///< what was found and what is required (no level/version tag)
  std::string fix;       ///< e.g. "set runAsNonRoot: true"
  std::string version;   ///< the policy version evaluated: "v1.35" or "latest"
};

/// Evaluates every check at or below `level` at `version`.
std::vector<Violation> evaluate(Level level, const Version& version, const PodView& pod);

/// The catalog of PSA check ids per level, for docs and lint.
struct CheckInfo {
  std::string id;
  Level level;
  std::string description;
  std::vector<int> versions;  ///< minimum minor versions of its entries (v1.N), ascending
};
std::vector<CheckInfo> list_checks();

/// Sysctls the PSS baseline "sysctls" check allows at `version` (grows by union with version).
std::vector<std::string> baseline_allowed_sysctls(const Version& version);
/// The same list, computed once per version and kept: for per-request use (no allocation).
const std::vector<std::string>& baseline_allowed_sysctls_ref(const Version& version);

/// Problems in the built-in check registry (duplicate ids, versions not strictly increasing,
/// overrides naming a non-baseline check); empty when it is valid. Checked once on first use.
std::vector<std::string> registry_errors();

/// The newest minor version at which any check changes: `latest` evaluates as v1.<this>.
int newest_known_minor();

}  // namespace gopreflight::webhook::pss
