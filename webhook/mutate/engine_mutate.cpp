// Engine::mutate: AdmissionReview in, AdmissionReview with a JSONPatch out. Only Pod CREATE is
// mutated (workload templates are left alone: their Pods come through here too). Mutation never
// denies; an undecodable review is a 400, read by the same step with the same limits as /validate.
#include <string>
#include <utility>

#include "gopreflight/webhook/admission.hpp"
#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/json_reader.hpp"
#include "gopreflight/webhook/mutate.hpp"
#include "gopreflight/webhook/policy.hpp"

namespace gopreflight::webhook {
namespace {

using nlohmann::json;

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
  // The same reading step, with the same limits, as /validate (read_admission_review).
  json tree;
  struct Release {  // the review's tree is freed depth first (see release_json)
    json& v;
    ~Release() { release_json(v); }
  } release{tree};
  auto req = read_admission_review(text, tree);
  if (!req) return bad_request(req.error);
  ReviewOutcome out;  // the request's copies are not needed after this
  out.uid = std::move(req.value->uid);
  out.kind = std::move(req.value->kind);
  out.ns = std::move(req.value->ns);
  out.name = std::move(req.value->name);
  out.operation = std::move(req.value->operation);
  out.user = std::move(req.value->username);
  out.allowed = true;
  const std::string& api_version = req->api_version;

  json response = {{"uid", out.uid}, {"allowed", true}};
  json warnings = json::array();
  const bool is_pod_create = out.kind == "Pod" && req->group.empty() && out.operation == "CREATE" &&
                             req->sub_resource.empty();
  if (is_pod_create) {
    const json* obj = req->object;
    if (obj == nullptr || !obj->is_object()) {
      warnings.push_back("gopreflight: gopreflight-check not injected: request.object is not a Pod object");
      out.error = "request.object: missing or not an object";
    } else {
      if (out.name.empty()) {
        if (auto md = obj->find("metadata"); md != obj->end()) {
          out.name = str(*md, "name");
          if (out.name.empty() && !str(*md, "generateName").empty()) out.name = str(*md, "generateName") + "*";
        }
      }
      const mutate::PatchResult pr = mutate::build_patch(*obj, out.ns, mutate::effective_injection(*policy_));
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
