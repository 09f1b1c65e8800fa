// The admission engine: bytes -> AdmissionReview -> Pod view -> rules -> decision -> bytes.
#include "gopreflight/webhook/engine.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <vector>
#include <utility>

#include "gopreflight/webhook/admission.hpp"
#include "gopreflight/webhook/json_document.hpp"
#include "gopreflight/webhook/mutate.hpp"
#include "gopreflight/webhook/pod_decode.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "gopreflight/webhook/rules.hpp"

namespace gopreflight::webhook {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxMessageBytes = 6144;  ///< status.message: readable in kubectl, bounded
constexpr std::size_t kMaxLineBytes = 1024;      ///< one violation line in status.message
constexpr std::size_t kMaxWarnings = 20;         ///< the API server truncates long warning lists
constexpr std::size_t kMaxWarningBytes = 512;
constexpr std::size_t kMaxAudits = 20;
constexpr std::size_t kMaxAuditBytes = 1024;
/// Internal form of RequestInfo, with the old object as read.
struct Request {
  std::string_view operation = "CREATE";
  std::string_view username;
  std::string_view ns;
  std::string_view sub_resource;
  std::optional<JsonValue> old_object;
};

std::optional<JsonValue> member(std::optional<JsonValue> obj, std::string_view key) {
  if (!obj || obj->type() != simdjson::dom::element_type::OBJECT) return std::nullopt;
  auto r = obj->at_key(key);
  if (r.error() || r.value_unsafe().type() == simdjson::dom::element_type::NULL_VALUE) return std::nullopt;
  return r.value_unsafe();
}

std::string string_of(std::optional<JsonValue> v) {
  return v && v->type() == simdjson::dom::element_type::STRING ? std::string(std::string_view(*v)) : std::string();
}

/// The regular, init and ephemeral containers of a Pod spec (may be absent or wrongly typed).
std::optional<simdjson::dom::array> list_of(std::optional<JsonValue> spec, std::string_view key) {
  auto v = member(spec, key);
  if (!v || v->type() != simdjson::dom::element_type::ARRAY) return std::nullopt;
  return simdjson::dom::array(*v);
}

std::string annotation(std::optional<JsonValue> metadata, std::string_view key) {
  return string_of(member(member(metadata, "annotations"), key));
}

std::string name_of(JsonValue c) { return string_of(member(c, "name")); }

/*
 * Which Pod UPDATEs are judged, as Pod Security Admission decides it (isSignificantPodUpdate):
 * a running Pod's spec is immutable except container images, activeDeadlineSeconds, tolerations
 * and (via the subresource) ephemeral containers. An UPDATE is judged when the pod seccomp
 * annotation, the number of containers or initContainers, any image, any per-container seccomp
 * annotation changes, or an ephemeral container is added or changed; otherwise it is allowed
 * unjudged (labels, annotations, finalizers, status, ...).
 */
bool significant_pod_update(JsonValue pod, JsonValue old_pod) {
  const auto md = member(pod, "metadata");
  const auto old_md = member(old_pod, "metadata");
  constexpr std::string_view kPodSeccomp = "seccomp.security.alpha.kubernetes.io/pod";
  if (annotation(md, kPodSeccomp) != annotation(old_md, kPodSeccomp)) return true;
  const auto spec = member(pod, "spec");
  const auto old_spec = member(old_pod, "spec");
  for (std::string_view list : {"containers", "initContainers"}) {
    const auto a = list_of(spec, list);
    const auto b = list_of(old_spec, list);
    const std::size_t na = a ? a->size() : 0, nb = b ? b->size() : 0;
    if (na != nb) return true;
    if (na == 0) continue;
    auto ib = b->begin();
    for (auto ia = a->begin(); ia != a->end(); ++ia, ++ib) {
      if (string_of(member(*ia, "image")) != string_of(member(*ib, "image"))) return true;
      const std::string key = "container.seccomp.security.alpha.kubernetes.io/" + name_of(*ia);
      if (annotation(md, key) != annotation(old_md, key)) return true;
    }
  }
  const auto eph = list_of(spec, "ephemeralContainers");
  const auto old_eph = list_of(old_spec, "ephemeralContainers");
  if (eph) {
    for (auto c : *eph) {
      bool same = false;
      if (old_eph) {
        for (auto oc : *old_eph) {
          if (name_of(oc) == name_of(c)) {
            same = json_equal(oc, c);
            break;
          }
        }
      }
      if (!same) return true;
    }
  }
  return false;
}

/// Field paths of the ephemeral containers that are new or changed compared with the old Pod.
std::vector<std::string> changed_ephemeral_paths(const DecodedPod& pod, std::optional<JsonValue> old_pod) {
  std::vector<std::string> out;
  const auto eph = list_of(pod.spec, "ephemeralContainers");
  if (!eph) return out;
  const auto old_eph = list_of(member(old_pod, "spec"), "ephemeralContainers");
  std::size_t i = 0;
  for (auto c : *eph) {
    bool same = false;
    if (old_eph) {
      for (auto oc : *old_eph) {
        if (name_of(oc) == name_of(c)) {
          same = json_equal(oc, c);
          break;
        }
      }
    }
    if (!same) out.push_back(pod.view.spec_path + ".ephemeralContainers[" + std::to_string(i) + "]");
    ++i;
  }
  return out;
}

/// Both present and equal, or both absent (an absent metadata equals an empty one).
bool same_part(std::optional<JsonValue> a, std::optional<JsonValue> b) {
  const auto empty = [](const std::optional<JsonValue>& v) {
    return !v || (v->type() == simdjson::dom::element_type::OBJECT && simdjson::dom::object(*v).size() == 0);
  };
  if (!a || !b) return empty(a) && empty(b);
  return json_equal(*a, *b);
}

bool path_under(const std::string& path, const std::string& prefix) {
  return path.size() >= prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[');
}

bool is_sysctl_finding(const Finding& f) {
  return f.rule == rules::id::kRequiredSysctls || f.rule == rules::id::kUnsettableSysctls ||
         (f.rule == rules::id::kPodSecurity && f.check == "sysctls");
}

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

/// Runs every rule of the policy on one Pod view, in a fixed order (the rule registry).
void run_rules(const Policy& p, const PodView& view, std::string_view ns, rules::Findings& out) {
  if (p.pod_security) rules::pod_security(view, *p.pod_security, out);
  rules::required_sysctls(view, p.required_sysctls, out);
  rules::unsettable_sysctls(view, p.unsettable_sysctls_mode,
                            p.pod_security ? p.pod_security->version : pss::Version{}, out);
  if (p.security_context) rules::security_context(view, *p.security_context, out);
  if (p.go_runtime) rules::go_runtime(view, *p.go_runtime, out);
  if (p.init_check) rules::init_check(view, *p.init_check, ns, out);
}

/// A workload's Pod template as /mutate will make its Pods (the init container, and Go env with
/// setGoEnv), so the template gets exactly its Pods' verdict: a workload is never admitted whose
/// Pods are then refused (e.g. for the injected container under a securityContext rule). False
/// when /mutate leaves the Pods alone (mutate::injection_plan, the decision /mutate takes).
[[gnu::noinline]] bool as_mutated(const Policy& policy, const PodView& view, std::string_view ns, PodView& out) {
  if (!mutate::injection_plan(view, ns, policy.injection).inject) return false;
  const Injection inj = mutate::effective_injection(policy);
  const mutate::PatchResult r = mutate::build_patch(view, ns, inj, &out);
  return r.error.empty() && !r.patch.empty();
}

ObjectDecision decide(const Policy& policy, JsonValue object, std::string_view kind, const Request& info) {
  ObjectDecision d;
  d.kind = std::string(kind);
  auto header = decode_object_header(object);
  if (!header) {
    d.error = header.error();
    return d;
  }
  d.name = std::move(header->name);
  d.ns = header->ns.empty() ? std::string(info.ns) : std::move(header->ns);

  if (info.operation == "DELETE" || info.operation == "CONNECT") {
    d.allowed = true;
    return d;
  }
  const bool is_pod = kind == "Pod";
  // Subresources: pods/ephemeralcontainers judges the ephemeral containers and pods/resize the Go
  // memory/CPU rules; every other subresource (status, binding, exec, scale, ...) is allowed.
  if (!info.sub_resource.empty() && !(is_pod && (info.sub_resource == "ephemeralcontainers" ||
                                                 info.sub_resource == "resize"))) {
    d.allowed = true;
    return d;
  }
  auto decoded = decode_pod(object, kind);
  if (!decoded) {
    d.error = decoded.error();
    return d;
  }
  const PodView& view = decoded->view;
  if (!view.has_spec) {  // a ReplicationController without a template: nothing to judge
    d.allowed = true;
    return d;
  }
  // Exemptions, as PSA has them: namespace, requesting user, runtimeClassName.
  if (contains(policy.exemptions.namespaces, d.ns)) {
    d.exempt_reason = "namespace " + d.ns;
  } else if (!info.username.empty() && contains(policy.exemptions.usernames, info.username)) {
    d.exempt_reason = "username " + std::string(info.username);
  } else if (const auto& rc = view.spec.runtime_class_name;
             rc && contains(policy.exemptions.runtime_classes, *rc)) {
    d.exempt_reason = "runtimeClassName " + *rc;
  }
  if (!d.exempt_reason.empty()) {
    d.allowed = true;
    return d;
  }

  // UPDATE: judge only what can change.
  const bool update = info.operation == "UPDATE" && info.old_object &&
                      info.old_object->type() == simdjson::dom::element_type::OBJECT;
  std::vector<std::string> only_paths;  // non-empty: keep findings under these paths only
  bool only_go = false;
  bool drop_sysctls = false;
  if (update && is_pod) {
    if (info.sub_resource == "ephemeralcontainers") {
      only_paths = changed_ephemeral_paths(*decoded, info.old_object);
      if (only_paths.empty()) {
        d.allowed = true;
        return d;
      }
    } else if (info.sub_resource == "resize") {
      only_go = true;
    } else if (!significant_pod_update(object, *info.old_object)) {
      d.allowed = true;
      return d;
    }
    drop_sysctls = true;  // sysctls of a running Pod cannot change: never re-deny them
  } else if (update && decoded->is_template) {
    auto old = decode_pod(*info.old_object, kind);
    if (old && old->view.has_spec && same_part(old->spec, decoded->spec) &&
        same_part(old->metadata, decoded->metadata)) {
      d.allowed = true;  // the Pod template did not change: no new Pod differs from the old ones
      return d;
    }
  } else if (is_pod && info.sub_resource == "ephemeralcontainers") {
    only_paths = changed_ephemeral_paths(*decoded, std::nullopt);
  } else if (is_pod && info.sub_resource == "resize") {
    only_go = true;
  }

  rules::Findings findings;
  if (decoded->is_template && policy.injection.enabled) {  // else nothing is injected: no copies
    PodView mutated_view;
    const bool mutated = as_mutated(policy, view, d.ns, mutated_view);
    run_rules(policy, mutated ? mutated_view : view, d.ns, findings);
  } else {
    run_rules(policy, view, d.ns, findings);
  }
  for (auto& f : findings) {
    if (drop_sysctls && is_sysctl_finding(f)) continue;
    if (only_go && f.rule != rules::id::kGoRuntime) continue;
    if (!only_paths.empty() &&
        std::none_of(only_paths.begin(), only_paths.end(), [&](const std::string& p) { return path_under(f.path, p); }))
      continue;
    if (f.mode == "warn") {
      d.warnings.push_back(std::move(f));
    } else if (f.mode == "audit") {
      d.audits.push_back(std::move(f));
    } else {
      d.violations.push_back(std::move(f));
    }
  }
  d.allowed = d.violations.empty();
  return d;
}

/// Cuts at `max` bytes on a UTF-8 character boundary and marks the cut.
std::string bounded(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  s += "...";
  return s;
}

std::string violation_line(const Finding& f) {
  return bounded(f.path + ": " + f.message + " (" + f.rule + "); fix: " + f.fix, kMaxLineBytes);
}

std::string object_label(const ObjectDecision& d) {
  std::string s = d.kind + " ";
  if (!d.ns.empty()) s += d.ns + "/";
  s += d.name.empty() ? std::string("(unnamed)") : d.name;
  return s;
}

AdmissionAnswer answer_for(const ObjectDecision& d) {
  AdmissionAnswer a;
  a.allowed = d.allowed;
  if (!d.allowed) {
    a.code = 403;
    std::string msg = "gopreflight denied " + object_label(d) + ": " + std::to_string(d.violations.size()) +
                      (d.violations.size() == 1 ? " violation" : " violations");
    std::size_t shown = 0;
    for (const auto& f : d.violations) {
      std::string line = "\n- " + violation_line(f);
      if (msg.size() + line.size() + 64 > kMaxMessageBytes) break;
      msg += line;
      ++shown;
    }
    if (shown < d.violations.size()) {
      msg += "\n- ... and " + std::to_string(d.violations.size() - shown) +
             " more (run gopreflight-webhook review on the manifest for all)";
    }
    a.message = std::move(msg);
  }
  for (std::size_t i = 0; i < d.warnings.size(); ++i) {
    if (i + 1 == kMaxWarnings && d.warnings.size() > kMaxWarnings) {
      a.warnings.push_back("gopreflight: " + std::to_string(d.warnings.size() - i) +
                           " more warnings (run gopreflight-webhook review on the manifest for all)");
      break;
    }
    const auto& f = d.warnings[i];
    a.warnings.push_back(bounded(f.path + ": " + f.message + "; fix: " + f.fix, kMaxWarningBytes));
  }
  // Keys carry no '/': the API server prefixes them with the webhook name ("<webhook>/<key>").
  if (!d.exempt_reason.empty()) a.audit_annotations.emplace_back("exempt", d.exempt_reason);
  for (std::size_t i = 0; i < d.audits.size() && i < kMaxAudits; ++i) {
    const auto& f = d.audits[i];
    a.audit_annotations.emplace_back("audit-" + std::to_string(i),
                                     bounded(f.rule + ": " + f.path + ": " + f.message + "; fix: " + f.fix, kMaxAuditBytes));
  }
  if (d.audits.size() > kMaxAudits) {
    a.audit_annotations.emplace_back("audit-more", std::to_string(d.audits.size() - kMaxAudits) + " more audit findings");
  }
  return a;
}

ReviewOutcome bad_request(ReviewOutcome out, const std::string& error) {
  out.http_status = 400;
  out.allowed = false;
  out.error = printable(error, 2048);
  out.body = out.error;
  return out;
}

}  // namespace

Engine::Engine(std::shared_ptr<const Policy> policy) : policy_(std::move(policy)) {
  if (!policy_) policy_ = std::make_shared<const Policy>();
}

ObjectDecision Engine::evaluate_object(const nlohmann::json& object, const RequestInfo& info) const {
  try {
    std::string kind;
    if (object.is_object()) {
      if (auto k = object.find("kind"); k != object.end() && k->is_string()) kind = k->get<std::string>();
    }
    if (kind.empty()) {
      ObjectDecision d;
      d.error = object.is_object() ? "kind: missing or not a string" : "object: expected a JSON object";
      return d;
    }
    // The same decoder as /validate, on the object's JSON text.
    const auto text = [](const nlohmann::json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
    auto doc = JsonDocument::read(text(object));
    if (!doc) {
      ObjectDecision d;
      d.kind = kind;
      d.error = doc.error();
      return d;
    }
    Result<std::unique_ptr<JsonDocument>> old_doc = fail("");
    Request req;
    req.operation = info.operation;
    req.username = info.username;
    req.ns = info.ns;
    req.sub_resource = info.sub_resource;
    if (info.old_object != nullptr) {
      old_doc = JsonDocument::read(text(*info.old_object));
      if (old_doc) req.old_object = (*old_doc)->root();
    }
    return decide(*policy_, (*doc)->root(), kind, req);
  } catch (const std::exception& e) {
    ObjectDecision d;
    d.error = std::string("evaluating the object: ") + e.what();
    return d;
  }
}

ReviewOutcome Engine::validate(std::string_view body) const {
  ReviewOutcome out;
  try {
    // One reading step with /mutate (read_admission_review).
    auto review = read_admission_review(body);
    if (!review) return bad_request(out, review.error());
    const AdmissionRequest& req = review->request;
    out.uid = req.uid;
    out.kind = req.kind;
    out.ns = req.ns;
    out.name = req.name;
    out.user = req.username;
    out.operation = req.operation;

    ObjectDecision d;
    if (req.operation == "DELETE" || req.operation == "CONNECT") {
      d.allowed = true;
    } else if (!req.sub_resource.empty() &&
               !(req.kind == "Pod" && (req.sub_resource == "ephemeralcontainers" || req.sub_resource == "resize"))) {
      d.allowed = true;
    } else {
      if (!is_pod_kind(req.kind)) {
        return bad_request(out, "AdmissionReview.request.kind.kind: \"" + printable(req.kind, 128) +
                                    "\" is not a kind this webhook judges (Pod, Deployment, ReplicaSet, StatefulSet, "
                                    "DaemonSet, Job, CronJob, ReplicationController, PodTemplate)");
      }
      if (!req.object) return bad_request(out, "AdmissionReview.request.object: missing");
      Request info;
      info.operation = req.operation;
      info.username = req.username;
      info.ns = req.ns;
      info.sub_resource = req.sub_resource;
      info.old_object = req.old_object;
      d = decide(*policy_, *req.object, req.kind, info);
      if (!d.error.empty()) return bad_request(out, "AdmissionReview.request.object: " + d.error);
    }
    if (out.name.empty()) out.name = d.name;
    const AdmissionAnswer a = answer_for(d);
    out.allowed = a.allowed;
    for (const auto* list : {&d.violations, &d.warnings}) {
      for (const auto& f : *list) {
        if (!contains(out.rules_hit, f.rule)) out.rules_hit.push_back(f.rule);
      }
    }
    out.body = encode_admission_response(req.api_version, req.uid, a);
    out.http_status = 200;
    return out;
  } catch (const std::exception& e) {
    return bad_request(out, std::string("AdmissionReview: ") + e.what());
  }
}

}  // namespace gopreflight::webhook
