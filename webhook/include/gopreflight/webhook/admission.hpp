#pragma once
/// AdmissionReview (admission.k8s.io/v1 and v1beta1) decoding and encoding, and the limits on
/// request bodies (size; nesting depth, enforced by read_json).
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <memory>
#include <optional>

#include "gopreflight/result.hpp"
#include "gopreflight/webhook/json_document.hpp"

namespace gopreflight::webhook {

/// Text made safe to print and to put in JSON: invalid UTF-8 bytes and control characters become
/// \xNN, at most `max_bytes` bytes (cut on a character boundary, "..." appended when cut).
std::string printable(std::string_view text, std::size_t max_bytes = 4096);

/// The fields of request that the engine uses. The values borrow from the parsed review.
struct AdmissionRequest {
  std::string api_version;  ///< admission.k8s.io/v1 or admission.k8s.io/v1beta1
  std::string uid;
  std::string kind;         ///< request.kind.kind, e.g. "Deployment"
  std::string group;        ///< request.kind.group, "" for the core group (Pods)
  std::string resource;     ///< request.resource.resource, e.g. "pods"
  std::string sub_resource;
  std::string name, ns, operation, username;
  bool dry_run = false;
  std::optional<JsonValue> object;      ///< absent for DELETE
  std::optional<JsonValue> old_object;  ///< absent unless UPDATE/DELETE
};

/// Reads and type-checks the envelope. Errors name the field: "request.uid: missing".
Result<AdmissionRequest> decode_admission_request(JsonValue review);

/// A read review: the document and the request, whose values borrow from it.
struct AdmissionReview {
  std::unique_ptr<JsonDocument> document;
  AdmissionRequest request;
};

/// The one reading step of /validate and /mutate: the size limit (kMaxReviewBytes), the JSON
/// document with the nesting limit (kMaxJsonDepth) and no duplicate keys (JsonDocument::read),
/// then decode_admission_request. The error is the 400 text, "AdmissionReview..." naming what was
/// wrong.
Result<AdmissionReview> read_admission_review(std::string_view body);

/// The parts of an AdmissionResponse that the engine decides.
struct AdmissionAnswer {
  bool allowed = false;
  int code = 200;           ///< status.code when denied (403)
  std::string message;      ///< status.message when denied
  std::vector<std::string> warnings;
  std::vector<std::pair<std::string, std::string>> audit_annotations;
};

/// {"apiVersion": <api_version>, "kind": "AdmissionReview", "response": {"uid": ..., ...}}.
std::string encode_admission_response(std::string_view api_version, std::string_view uid, const AdmissionAnswer& a);

}  // namespace gopreflight::webhook
