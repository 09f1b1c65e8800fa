// AdmissionReview envelope: decoding with field-named errors, encoding.
#include "gopreflight/webhook/admission.hpp"

#include "gopreflight/common/text.hpp"

namespace gopreflight::webhook {

std::string printable(std::string_view text, std::size_t max_bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 8);
  for (std::size_t i = 0; i < text.size();) {
    std::string piece;
    const auto b = static_cast<unsigned char>(text[i]);
    const std::size_t n = common::utf8_sequence_length(text, i);
    if (n == 1 && (b >= 0x20 || b == '\n') && b != 0x7F) {
      piece.assign(1, text[i]);
      i += 1;
    } else if (n > 1) {
      piece.assign(text.substr(i, n));
      i += n;
    } else {
      piece = std::string("\\x") + hex[b >> 4] + hex[b & 0xF];
      i += 1;
    }
    if (out.size() + piece.size() > max_bytes) {
      out += "...";
      return out;
    }
    out += piece;
  }
  return out;
}

namespace {

std::optional<JsonValue> member(JsonValue obj, std::string_view key) {
  auto r = obj.at_key(key);
  if (r.error()) return std::nullopt;
  return r.value_unsafe();
}

bool absent(const std::optional<JsonValue>& v) {
  return !v || v->type() == simdjson::dom::element_type::NULL_VALUE;
}

}  // namespace

Result<AdmissionRequest> decode_admission_request(JsonValue review) {
  using simdjson::dom::element_type;
  auto found = [](JsonValue v) { return std::string(json_type_name(v)); };
  if (review.type() != element_type::OBJECT) {
    return fail("AdmissionReview: expected a JSON object, found " + found(review));
  }
  AdmissionRequest r;
  const auto av = member(review, "apiVersion");
  if (!av || av->type() != element_type::STRING)
    return fail("apiVersion: missing or not a string (expected admission.k8s.io/v1 or admission.k8s.io/v1beta1)");
  r.api_version = std::string_view(*av);
  if (r.api_version != "admission.k8s.io/v1" && r.api_version != "admission.k8s.io/v1beta1")
    return fail("apiVersion: " + printable(r.api_version, 128) +
                " is not admission.k8s.io/v1 or admission.k8s.io/v1beta1");
  const auto kind = member(review, "kind");
  if (!kind || kind->type() != element_type::STRING || std::string_view(*kind) != "AdmissionReview")
    return fail("kind: expected \"AdmissionReview\"");
  const auto req_it = member(review, "request");
  if (absent(req_it)) return fail("request: missing");
  const JsonValue req = *req_it;
  if (req.type() != element_type::OBJECT) return fail("request: expected an object, found " + found(req));

  std::string error;
  // `path` is a literal: a std::string is made of it only for an error.
  auto str_field = [&](JsonValue obj, const char* key, const char* path, std::string& dst, bool required) -> bool {
    const auto it = member(obj, key);
    if (absent(it)) {
      if (required) error = std::string(path) + ": missing";
      return !required;
    }
    if (it->type() != element_type::STRING) {
      error = std::string(path) + ": expected a string, found " + found(*it);
      return false;
    }
    dst = std::string_view(*it);
    return true;
  };
  if (!str_field(req, "uid", "request.uid", r.uid, true)) return fail(std::move(error));
  if (r.uid.empty()) return fail("request.uid: empty");
  const auto k = member(req, "kind");
  if (absent(k)) return fail("request.kind: missing");
  if (k->type() != element_type::OBJECT)
    return fail("request.kind: expected an object (group, version, kind), found " + found(*k));
  if (!str_field(*k, "kind", "request.kind.kind", r.kind, true)) return fail(std::move(error));
  if (!str_field(*k, "group", "request.kind.group", r.group, false)) return fail(std::move(error));
  if (const auto res = member(req, "resource"); !absent(res)) {
    if (res->type() != element_type::OBJECT) return fail("request.resource: expected an object, found " + found(*res));
    if (!str_field(*res, "resource", "request.resource.resource", r.resource, false)) return fail(std::move(error));
  }
  if (!str_field(req, "subResource", "request.subResource", r.sub_resource, false)) return fail(std::move(error));
  if (!str_field(req, "name", "request.name", r.name, false)) return fail(std::move(error));
  if (!str_field(req, "namespace", "request.namespace", r.ns, false)) return fail(std::move(error));
  if (!str_field(req, "operation", "request.operation", r.operation, true)) return fail(std::move(error));
  if (r.operation != "CREATE" && r.operation != "UPDATE" && r.operation != "DELETE" && r.operation != "CONNECT")
    return fail("request.operation: " + printable(r.operation, 64) + " is not CREATE, UPDATE, DELETE or CONNECT");
  if (const auto ui = member(req, "userInfo"); !absent(ui)) {
    if (ui->type() != element_type::OBJECT) return fail("request.userInfo: expected an object, found " + found(*ui));
    if (!str_field(*ui, "username", "request.userInfo.username", r.username, false)) return fail(std::move(error));
  }
  if (const auto dr = member(req, "dryRun"); !absent(dr)) {
    if (dr->type() != element_type::BOOL) return fail("request.dryRun: expected a boolean, found " + found(*dr));
    r.dry_run = bool(*dr);
  }
  if (const auto o = member(req, "object"); !absent(o)) r.object = *o;
  if (const auto o = member(req, "oldObject"); !absent(o)) r.old_object = *o;
  return r;
}

Result<AdmissionReview> read_admission_review(std::string_view body) {
  if (body.empty()) return fail("AdmissionReview: empty body");
  if (body.size() > kMaxReviewBytes) {
    return fail("AdmissionReview: body is " + std::to_string(body.size()) + " bytes; the limit is " +
                std::to_string(kMaxReviewBytes));
  }
  auto doc = JsonDocument::read(body, kMaxJsonDepth);
  if (!doc) return fail("AdmissionReview: " + doc.error());
  AdmissionReview review;
  review.document = std::move(*doc);
  auto req = decode_admission_request(review.document->root());
  if (!req) {
    const std::string& e = req.error();
    return fail(e.rfind("AdmissionReview", 0) == 0 ? e : "AdmissionReview." + e);
  }
  review.request = std::move(*req);
  return review;
}

using common::append_json_string;

std::string encode_admission_response(std::string_view api_version, std::string_view uid, const AdmissionAnswer& a) {
  std::size_t size = 160 + api_version.size() + uid.size() + a.message.size();
  for (const auto& w : a.warnings) size += w.size() + 8;
  for (const auto& [k, v] : a.audit_annotations) size += k.size() + v.size() + 8;
  std::string out;
  out.reserve(size + size / 16);
  out += "{\"apiVersion\":";
  append_json_string(out, api_version);
  out += ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":";
  append_json_string(out, uid);
  out += a.allowed ? ",\"allowed\":true" : ",\"allowed\":false";
  if (!a.allowed) {
    out += ",\"status\":{\"status\":\"Failure\",\"code\":" + std::to_string(a.code) +
           ",\"reason\":\"Forbidden\",\"message\":";
    append_json_string(out, a.message);
    out += "}";
  }
  if (!a.warnings.empty()) {
    out += ",\"warnings\":[";
    for (std::size_t i = 0; i < a.warnings.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_json_string(out, a.warnings[i]);
    }
    out += "]";
  }
  if (!a.audit_annotations.empty()) {
    out += ",\"auditAnnotations\":{";
    for (std::size_t i = 0; i < a.audit_annotations.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_json_string(out, a.audit_annotations[i].first);
      out.push_back(':');
      append_json_string(out, a.audit_annotations[i].second);
    }
    out += "}";
  }
  out += "}}";
  return out;
}

}  // namespace gopreflight::webhook
