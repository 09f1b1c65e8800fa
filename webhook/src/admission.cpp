// AdmissionReview envelope: decoding with field-named errors, encoding.
#include "gopreflight/webhook/admission.hpp"

#include "gopreflight/webhook/json_reader.hpp"
#include "gopreflight/webhook/pod_views.hpp"
#include "gopreflight/common/text.hpp"

namespace gopreflight::webhook {

using nlohmann::json;

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

Parsed<AdmissionRequest> decode_admission_request(const json& review) {
  Parsed<AdmissionRequest> out;
  auto fail = [&](std::string msg) {
    out.error = std::move(msg);
    return out;
  };
  auto found = [](const json& v) { return std::string(json_type_name(v)); };
  if (!review.is_object()) return fail("AdmissionReview: expected a JSON object, found " + found(review));
  AdmissionRequest r;
  auto av = review.find("apiVersion");
  if (av == review.end() || !av->is_string())
    return fail("apiVersion: missing or not a string (expected admission.k8s.io/v1 or admission.k8s.io/v1beta1)");
  r.api_version = av->get<std::string>();
  if (r.api_version != "admission.k8s.io/v1" && r.api_version != "admission.k8s.io/v1beta1")
    return fail("apiVersion: " + printable(r.api_version, 128) +
                " is not admission.k8s.io/v1 or admission.k8s.io/v1beta1");
  auto kind = review.find("kind");
  if (kind == review.end() || !kind->is_string() || kind->get_ref<const std::string&>() != "AdmissionReview")
    return fail("kind: expected \"AdmissionReview\"");
  auto req_it = review.find("request");
  if (req_it == review.end() || req_it->is_null()) return fail("request: missing");
  const json& req = *req_it;
  if (!req.is_object()) return fail("request: expected an object, found " + found(req));

  // `path` is a literal: a std::string is made of it only for an error.
  auto str_field = [&](const json& obj, const char* key, const char* path, std::string& dst, bool required) -> bool {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) out.error = std::string(path) + ": missing";
      return !required;
    }
    if (!it->is_string()) {
      out.error = std::string(path) + ": expected a string, found " + found(*it);
      return false;
    }
    dst = it->get_ref<const std::string&>();
    return true;
  };
  if (!str_field(req, "uid", "request.uid", r.uid, true)) return out;
  if (r.uid.empty()) return fail("request.uid: empty");
  auto k = req.find("kind");
  if (k == req.end() || k->is_null()) return fail("request.kind: missing");
  if (!k->is_object()) return fail("request.kind: expected an object (group, version, kind), found " + found(*k));
  if (!str_field(*k, "kind", "request.kind.kind", r.kind, true)) return out;
  if (!str_field(*k, "group", "request.kind.group", r.group, false)) return out;
  if (auto res = req.find("resource"); res != req.end() && !res->is_null()) {
    if (!res->is_object()) return fail("request.resource: expected an object, found " + found(*res));
    if (!str_field(*res, "resource", "request.resource.resource", r.resource, false)) return out;
  }
  if (!str_field(req, "subResource", "request.subResource", r.sub_resource, false)) return out;
  if (!str_field(req, "name", "request.name", r.name, false)) return out;
  if (!str_field(req, "namespace", "request.namespace", r.ns, false)) return out;
  if (!str_field(req, "operation", "request.operation", r.operation, true)) return out;
  if (r.operation != "CREATE" && r.operation != "UPDATE" && r.operation != "DELETE" && r.operation != "CONNECT")
    return fail("request.operation: " + printable(r.operation, 64) + " is not CREATE, UPDATE, DELETE or CONNECT");
  if (auto ui = req.find("userInfo"); ui != req.end() && !ui->is_null()) {
    if (!ui->is_object()) return fail("request.userInfo: expected an object, found " + found(*ui));
    if (!str_field(*ui, "username", "request.userInfo.username", r.username, false)) return out;
  }
  if (auto dr = req.find("dryRun"); dr != req.end() && !dr->is_null()) {
    if (!dr->is_boolean()) return fail("request.dryRun: expected a boolean, found " + found(*dr));
    r.dry_run = dr->get<bool>();
  }
  if (auto o = req.find("object"); o != req.end() && !o->is_null()) r.object = &*o;
  if (auto o = req.find("oldObject"); o != req.end() && !o->is_null()) r.old_object = &*o;
  out.value = std::move(r);
  return out;
}

Parsed<AdmissionRequest> read_admission_review(std::string_view body, json& tree, JsonFilter* filter) {
  Parsed<AdmissionRequest> out;
  if (body.empty()) {
    out.error = "AdmissionReview: empty body";
    return out;
  }
  if (body.size() > kMaxReviewBytes) {
    out.error = "AdmissionReview: body is " + std::to_string(body.size()) + " bytes; the limit is " +
                std::to_string(kMaxReviewBytes);
    return out;
  }
  // metadata.managedFields (the API server fills it; nothing reads it) is checked, not built.
  static constexpr std::string_view kUnreadMembers[] = {"managedFields"};
  auto parsed = read_json(body, kMaxJsonDepth, kUnreadMembers, filter);
  if (!parsed) {
    out.error = "AdmissionReview: " + parsed.error;
    return out;
  }
  tree = std::move(*parsed.value);
  out = decode_admission_request(tree);
  if (!out && out.error.rfind("AdmissionReview", 0) != 0) out.error = "AdmissionReview." + out.error;
  return out;
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
