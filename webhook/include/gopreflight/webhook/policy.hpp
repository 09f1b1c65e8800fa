#pragma once
/// The policy (apiVersion gopreflight.io/v1alpha1, kind Policy). Keys are an interface: see README.
#include <optional>
#include <string>
#include <vector>

#include "gopreflight/webhook/pss.hpp"

namespace gopreflight::webhook {

/// enforce: deny. warn: allowed with AdmissionReview warnings. audit: allowed with auditAnnotations.
enum class Mode { enforce, warn, audit };

struct RequiredSysctl {
  std::string name;
  std::optional<long long> min, max;
  std::optional<std::string> equals;  ///< compared whitespace-normalised
  Mode mode = Mode::enforce;
};

struct Exemptions {
  std::vector<std::string> namespaces, usernames, runtime_classes;
};

/// Injection of the gopreflight-check init container by /mutate (issue: serve).
struct Injection {
  bool enabled = false;
  std::vector<std::string> namespaces;  ///< namespaces whose Pods get it
  /// Pods opt in with this label or annotation set to "true" (documented in README).
  std::string opt_in_key = "gopreflight.io/inject";
  std::string image = "ghcr.io/gopreflight/gopreflight:0.1.0";
  std::vector<std::string> command;               ///< empty = the image's entrypoint
  std::vector<std::string> args;                  ///< extra args for gopreflight-check
  std::string image_pull_policy = "IfNotPresent";
  std::string cpu_request = "10m", memory_request = "16Mi", cpu_limit = "100m", memory_limit = "32Mi";
  bool set_go_env = false;  ///< also set GOMEMLIMIT/GOMAXPROCS on Go containers lacking them
  /// runAsUser 65532 in the init container's securityContext. Off for OpenShift, whose
  /// restricted-v2 SCC assigns the user and group from the namespace's range (a fixed one is refused).
  bool set_user_ids = true;
  /// Not a key of its own: Engine::mutate copies goRuntime's ratio here when that section is set.
  double gomemlimit_ratio = 0.9;
  /// Which containers are Go for set_go_env: this Pod annotation ("a,b" or "*"); absent = all.
  std::string go_container_annotation = "gopreflight.io/go-containers";
};

class Policy {
 public:
  struct PodSecurity {
    pss::Level level = pss::Level::restricted;
    pss::Version version;  ///< latest by default
    Mode mode = Mode::enforce;
  };
  struct SecurityContextRule {
    Mode mode = Mode::enforce;
    std::optional<bool> read_only_root_filesystem, run_as_non_root, allow_privilege_escalation;
    std::optional<long long> run_as_user_min, run_as_user_max, run_as_group_min, run_as_group_max;
  };
  struct GoRuntime {
    Mode mode = Mode::enforce;
    std::string go_container_annotation = "gopreflight.io/go-containers";  ///< "a,b" or "*"
    double gomemlimit_ratio = 0.9;
  };
  struct InitCheckRequired {
    Mode mode = Mode::enforce;
    std::vector<std::string> namespaces;
    std::string container_name = "gopreflight-check";
  };

  std::optional<PodSecurity> pod_security;          ///< absent = off
  std::vector<RequiredSysctl> required_sysctls;
  Mode unsettable_sysctls_mode = Mode::enforce;     ///< rule 3 is always on
  std::optional<SecurityContextRule> security_context;
  std::optional<GoRuntime> go_runtime;
  std::optional<InitCheckRequired> init_check;
  Exemptions exemptions;
  Injection injection;
  std::string source = "built-in";  ///< file path, or "built-in"
};

}  // namespace gopreflight::webhook
