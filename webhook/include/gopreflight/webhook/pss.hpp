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
  static std::optional<Version> parse(std::string_view s);  ///< "latest", "v1.0" ... "v1.37"
  std::string str() const;
};

std::optional<Level> parse_level(std::string_view s);
std::string_view to_string(Level l);

/// One PSS finding. `path` is the full field path inside the object
/// (PodView::spec_path + ".containers[1].securityContext.runAsNonRoot").
struct Violation {
  std::string check_id;  ///< PSA check id, e.g. "runAsNonRoot", "hostNamespaces", "sysctls"
  std::string level;     ///< "baseline" or "restricted": the level whose check failed
  std::string path;
  std::string message;   ///< what was found and what is required
  std::string fix;       ///< e.g. "set runAsNonRoot: true"
};

/// Evaluates every check at or below `level` at `version`.
std::vector<Violation> evaluate(Level level, const Version& version, const PodView& pod);

/// The catalog of PSA check ids per level, for docs and lint.
struct CheckInfo {
  std::string id;
  Level level;
  std::string description;
};
std::vector<CheckInfo> list_checks();

/// Sysctls the PSS baseline "sysctls" check allows at `version` (grows by union with version).
std::vector<std::string> baseline_allowed_sysctls(const Version& version);

}  // namespace gopreflight::webhook::pss
