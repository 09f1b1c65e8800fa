#pragma once
/// The admission engine: AdmissionReview bytes in, AdmissionReview bytes out. The server and
/// `review` share it. Never throws; never "allowed" for an object it could not read.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace gopreflight::webhook {

class Policy;  // policy.hpp

/// One finding of one rule on one object. `mode` decides what it does to the decision.
struct Finding {
  std::string rule;     ///< "podSecurity", "requiredSysctls", "unsettableSysctls", "securityContext", "goRuntime", "initCheck"
  std::string check;    ///< finer id, e.g. the PSA check id "runAsNonRoot", or the sysctl name
  std::string path;     ///< field path inside the object, e.g. spec.template.spec.containers[0].env
  std::string message;  ///< what was found and what is required
  std::string fix;      ///< the exact line or field to set
  std::string mode;     ///< "enforce" | "warn" | "audit"
};

/// Who asks, for exemptions and UPDATE handling (empty for offline review).
struct RequestInfo {
  std::string operation = "CREATE";  ///< CREATE | UPDATE | DELETE | CONNECT
  std::string username;
  std::string ns;                    ///< request namespace (used when the object has none)
  std::string sub_resource;
  const nlohmann::json* old_object = nullptr;
};

/// The decision for one object (a Pod or a workload with a Pod template).
struct ObjectDecision {
  bool allowed = false;
  std::string kind, name, ns;
  std::vector<Finding> violations;  ///< enforce-mode findings (deny)
  std::vector<Finding> warnings;    ///< warn-mode findings (AdmissionReview warnings)
  std::vector<Finding> audits;      ///< audit-mode findings (auditAnnotations)
  std::string exempt_reason;        ///< non-empty when exempted ("namespace kube-system")
  std::string error;                ///< the object could not be read: never allowed
};

/// What the server needs to answer, log and count one request.
struct ReviewOutcome {
  int http_status = 200;     ///< 400 for an undecodable review (body then holds the error text)
  std::string body;          ///< AdmissionReview JSON (same apiVersion and uid as the request)
  bool allowed = false;
  std::string uid, kind, ns, name, user, operation;
  std::vector<std::string> rules_hit;  ///< rule ids that produced a violation or warning
  std::string error;                   ///< decode error, if any
};

class Engine {
 public:
  /// Loads a policy file (YAML or JSON); nullopt path = built-in recommended policy.
  /// On error returns nullptr and fills `error` with "file:line:col: message".
  static std::shared_ptr<const Engine> load(const std::optional<std::string>& policy_path,
                                            std::string& error);
  explicit Engine(std::shared_ptr<const Policy> policy);

  /// POST /validate.
  ReviewOutcome validate(std::string_view admission_review_json) const;
  /// Judges one object as read from a manifest or an AdmissionReview (the same rules either way).
  ObjectDecision evaluate_object(const nlohmann::json& object, const RequestInfo& info) const;

  /// POST /mutate: injection of gopreflight-check (JSONPatch), per the policy's injection section.
  ReviewOutcome mutate(std::string_view admission_review_json) const;

  const Policy& policy() const { return *policy_; }

 private:
  std::shared_ptr<const Policy> policy_;
};

}  // namespace gopreflight::webhook
