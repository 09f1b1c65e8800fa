// Engine::mutate: AdmissionReview in, AdmissionReview with a JSONPatch out. Only Pod CREATE is
// mutated (workload templates are left alone: their Pods come through here too). Mutation never
// denies; an undecodable review is a 400, read by the same step with the same limits as /validate.
#include <string>
#include <utility>

#include "gopreflight/webhook/admission.hpp"
#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/mutate.hpp"
#include "gopreflight/webhook/pod_decode.hpp"
#include "gopreflight/webhook/policy.hpp"

namespace gopreflight::webhook {
namespace {

using nlohmann::json;

ReviewOutcome bad_request(std::string error) {
  ReviewOutcome out;
  out.http_status = 400;
  out.allowed = false;
  out.error = std::move(error);
  out.body = out.error;
  return out;
}

}  // namespace

ReviewOutcome Engine::mutate(std::string_view text) const {
  // The same reading step, with the same limits, as /validate (read_admission_review).
  auto review = read_admission_review(text);
  if (!review) return bad_request(review.error());
  AdmissionRequest& req = review->request;
  ReviewOutcome out;  // the request's copies are not needed after this
  out.uid = std::move(req.uid);
  out.kind = std::move(req.kind);
  out.ns = std::move(req.ns);
  out.name = std::move(req.name);
  out.operation = std::move(req.operation);
  out.user = std::move(req.username);
  out.allowed = true;
  const std::string& api_version = req.api_version;

  json response = {{"uid", out.uid}, {"allowed", true}};
  json warnings = json::array();
  const bool is_pod_create = out.kind == "Pod" && req.group.empty() && out.operation == "CREATE" &&
                             req.sub_resource.empty();
  if (is_pod_create) {
    if (!req.object || req.object->type() != simdjson::dom::element_type::OBJECT) {
      warnings.push_back("gopreflight: gopreflight-check not injected: request.object is not a Pod object");
      out.error = "request.object: missing or not an object";
    } else {
      // The object's name for the log, and the Pod model /validate judges (the one decoder).
      auto header = decode_object_header(*req.object);
      if (header && out.name.empty()) out.name = header->name;
      auto pod = decode_pod(*req.object, "Pod");
      const mutate::PatchResult pr =
          pod ? mutate::build_patch(pod->view, out.ns, mutate::effective_injection(*policy_)) : mutate::PatchResult{};
      const std::string error = pod ? pr.error : pod.error();
      if (!error.empty()) {
        warnings.push_back("gopreflight: gopreflight-check not injected: " + error);
        out.error = error;
      } else if (!pr.patch.empty()) {
        response["patchType"] = "JSONPatch";
        response["patch"] = mutate::base64_encode(pr.patch.dump());
        out.rules_hit.push_back("injection");
      }
    }
  }
  if (!warnings.empty()) response["warnings"] = std::move(warnings);
  json reply = {{"apiVersion", api_version}, {"kind", "AdmissionReview"}, {"response", std::move(response)}};
  out.body = reply.dump(-1, ' ', false, json::error_handler_t::replace);
  return out;
}

}  // namespace gopreflight::webhook
