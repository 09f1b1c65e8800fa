// Engine::mutate: AdmissionReview in, AdmissionReview with a JSONPatch out. Only Pod CREATE is
// mutated (workload templates are left alone: their Pods come through here too). Mutation never
// denies; an undecodable review is a 400, exactly like /validate.
#include <string>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/json_reader.hpp"
#include "gopreflight/webhook/mutate.hpp"
#include "gopreflight/webhook/policy.hpp"

namespace gopreflight::webhook {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxDepth = 200;  // Kubernetes objects nest ~20 deep; far below any stack limit

std::string str(const json& j, std::string_view key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

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
  if (text.empty()) return bad_request("AdmissionReview: empty body");
  // Nesting is limited while reading; managedFields (never patched, never read) is checked, not built.
  constexpr std::string_view kUnread[] = {"managedFields"};
  auto parsed = read_json(text, kMaxDepth, kUnread);
  if (!parsed) return bad_request("AdmissionReview: " + parsed.error);
  struct Release {  // the review's tree is freed depth first (see release_json)
    json& v;
    ~Release() { release_json(v); }
  } release{*parsed.value};
  const json& review = *parsed;
  if (!review.is_object()) return bad_request("AdmissionReview: expected a JSON object");
  const std::string api_version = str(review, "apiVersion");
  if (api_version != "admission.k8s.io/v1" && api_version != "admission.k8s.io/v1beta1") {
    return bad_request("AdmissionReview.apiVersion: found \"" + api_version +
                       "\", required admission.k8s.io/v1 or admission.k8s.io/v1beta1");
  }
  if (str(review, "kind") != "AdmissionReview") {
    return bad_request("AdmissionReview.kind: found \"" + str(review, "kind") +
                       "\", required AdmissionReview");
  }
  auto req_it = review.find("request");
  if (req_it == review.end() || !req_it->is_object()) {
    return bad_request("AdmissionReview.request: missing or not an object");
  }
  const json& req = *req_it;
  ReviewOutcome out;
  out.uid = str(req, "uid");
  if (out.uid.empty()) return bad_request("AdmissionReview.request.uid: missing or not a string");
  const json* kind = req.contains("kind") ? &req["kind"] : nullptr;
  out.kind = kind ? str(*kind, "kind") : std::string{};
  const std::string group = kind ? str(*kind, "group") : std::string{};
  out.ns = str(req, "namespace");
  out.name = str(req, "name");
  out.operation = str(req, "operation");
  if (auto ui = req.find("userInfo"); ui != req.end()) out.user = str(*ui, "username");
  out.allowed = true;

  json response = {{"uid", out.uid}, {"allowed", true}};
  json warnings = json::array();
  const bool is_pod_create = out.kind == "Pod" && group.empty() && out.operation == "CREATE" &&
                             str(req, "subResource").empty();
  if (is_pod_create) {
    auto obj = req.find("object");
    if (obj == req.end() || !obj->is_object()) {
      warnings.push_back("gopreflight: gopreflight-check not injected: request.object is not a Pod object");
      out.error = "request.object: missing or not an object";
    } else {
      if (out.name.empty()) {
        if (auto md = obj->find("metadata"); md != obj->end()) {
          out.name = str(*md, "name");
          if (out.name.empty() && !str(*md, "generateName").empty()) out.name = str(*md, "generateName") + "*";
        }
      }
      Injection inj = policy_->injection;
      if (policy_->go_runtime) inj.gomemlimit_ratio = policy_->go_runtime->gomemlimit_ratio;
      const mutate::PatchResult pr = mutate::build_patch(*obj, out.ns, inj);
      if (!pr.error.empty()) {
        warnings.push_back("gopreflight: gopreflight-check not injected: " + pr.error);
        out.error = pr.error;
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
