// The admission engine: decode, extract Pod views, run the rules, decide, encode.
#include "gopreflight/webhook/engine.hpp"

#include <utility>

#include "gopreflight/webhook/policy.hpp"

namespace gopreflight::webhook {

Engine::Engine(std::shared_ptr<const Policy> policy) : policy_(std::move(policy)) {
  if (!policy_) policy_ = std::make_shared<const Policy>();
}

ObjectDecision Engine::evaluate_object(const nlohmann::json& object, const RequestInfo& /*info*/) const {
  ObjectDecision d;
  if (!object.is_object()) {
    d.error = "object: expected a JSON object";
    return d;
  }
  // First step of the engine: objects are read but no rule runs yet, so nothing is allowed.
  d.error = "object: no rule evaluation available in this build";
  return d;
}

ReviewOutcome Engine::validate(std::string_view admission_review_json) const {
  ReviewOutcome out;
  out.http_status = 400;
  out.error = "AdmissionReview decoding is not available in this build";
  out.body = out.error;
  (void)admission_review_json;
  return out;
}

}  // namespace gopreflight::webhook
