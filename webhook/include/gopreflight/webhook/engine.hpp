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
  /// POST /mutate: injection of gopreflight-check (JSONPatch), per the policy's injection section.
  ReviewOutcome mutate(std::string_view admission_review_json) const;

  const Policy& policy() const { return *policy_; }

 private:
  std::shared_ptr<const Policy> policy_;
};

}  // namespace gopreflight::webhook
