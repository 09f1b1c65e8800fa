// The admission engine: bytes -> AdmissionReview -> Pod view -> rules -> decision -> bytes.
#include "gopreflight/webhook/engine.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <utility>

#include "gopreflight/webhook/admission.hpp"
#include "gopreflight/webhook/json_reader.hpp"
#include "gopreflight/webhook/mutate.hpp"
#include "gopreflight/webhook/pod_views.hpp"
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
bool one_of(std::string_view key, std::initializer_list<std::string_view> keys) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

/// A fixed set of member names, looked up by a (length, first, last byte) signature before any
/// byte comparison: the filter asks about every member of every Pod spec and container.
template <std::size_t N>
class KeySet {
 public:
  constexpr explicit KeySet(std::array<std::string_view, N> keys) : keys_(keys) {
    for (std::size_t i = 0; i < N; ++i) sigs_[i] = sig(keys_[i]);
  }
  bool contains(std::string_view key) const {
    const std::uint32_t s = sig(key);
    for (std::size_t i = 0; i < N; ++i) {
      if (sigs_[i] == s && keys_[i] == key) return true;
    }
    return false;
  }

 private:
  static constexpr std::uint32_t sig(std::string_view k) {
    if (k.empty()) return 0;
    return (static_cast<std::uint32_t>(k.size()) << 16) | (static_cast<std::uint32_t>(static_cast<unsigned char>(k.front())) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(k.back()));
  }
  std::array<std::string_view, N> keys_;
  std::array<std::uint32_t, N> sigs_{};
};

/// Pod spec members no rule or shape check reads.
constexpr KeySet<22> kUnreadPodSpec({"affinity", "tolerations", "topologySpreadConstraints", "nodeSelector",
                                     "dnsConfig", "dnsPolicy", "schedulerName", "priorityClassName",
                                     "imagePullSecrets", "readinessGates", "serviceAccountName", "serviceAccount",
                                     "automountServiceAccountToken", "terminationGracePeriodSeconds",
                                     "enableServiceLinks", "preemptionPolicy", "overhead", "nodeName", "hostname",
                                     "subdomain", "setHostnameAsFQDN", "shareProcessNamespace"});
/// Container members no rule or shape check reads.
constexpr KeySet<12> kUnreadContainer({"args", "command", "volumeMounts", "volumeDevices", "terminationMessagePath",
                                       "terminationMessagePolicy", "imagePullPolicy", "workingDir", "stdin",
                                       "stdinOnce", "tty", "resizePolicy"});

/*
 * What /validate builds of a review, besides leaving out managedFields everywhere.
 * Always left out: request members decode_admission_request does not read (requestKind,
 * requestResource, requestSubResource, options, userInfo groups/extra/uid), object and oldObject
 * status, and the workload-only members of object.spec (selector, strategy, updateStrategy,
 * volumeClaimTemplates). Nothing reads them, in any operation.
 * Left out only once request.operation has been read as CREATE ("lean"): Pod spec and container
 * members no rule or shape check reads (scheduling, DNS, service account, args, volumeMounts...).
 * An UPDATE compares old and new Pod templates and ephemeral containers whole, so it must have
 * them whole: if lean skipping happened and the review's operation turns out not to be CREATE
 * (duplicate keys, odd member order), the engine reads the review again without it.
 * Adding a rule that reads one of these members means removing it from the lists below.
 */
class ReviewFilter final : public JsonFilter {
 public:
  explicit ReviewFilter(bool allow_lean) : allow_lean_(allow_lean) {}
  bool lean_used() const { return lean_used_; }

  int member(int parent, std::string_view key) override {
    switch (parent) {
      case kRoot: return key == "request" ? kRequest : kKeepAll;
      case kRequest:
        if (key == "operation") return kOperation;
        if (key == "userInfo") return kUserInfo;
        if (key == "object") return kObject;
        if (key == "oldObject") return kOldObject;
        return one_of(key, {"requestKind", "requestResource", "requestSubResource", "options"}) ? kSkip : kKeepAll;
      case kUserInfo: return one_of(key, {"groups", "extra", "uid"}) ? kSkip : kKeepAll;
      case kObject:
        if (key == "spec") return kObjectSpec;
        if (key == "template") return kTemplate;  // PodTemplate
        return key == "status" ? kSkip : kKeepAll;
      case kOldObject: return key == "status" ? kSkip : kKeepAll;
      case kObjectSpec:  // a Pod's spec, or a workload's spec around its Pod template
        if (key == "template") return kTemplate;
        if (key == "jobTemplate") return kJobTemplate;
        if (one_of(key, {"selector", "strategy", "updateStrategy", "volumeClaimTemplates"})) return kSkip;
        return pod_spec_member(key);
      case kTemplate: return key == "spec" ? kPodSpec : kKeepAll;
      case kJobTemplate: return key == "spec" ? kJobSpec : kKeepAll;
      case kJobSpec: return key == "template" ? kTemplate : kKeepAll;
      case kPodSpec: return pod_spec_member(key);
      case kContainer: return lean(kUnreadContainer.contains(key));
      default: return kKeepAll;
    }
  }
  int element(int parent) override { return parent == kContainers ? kContainer : kKeepAll; }
  void string_value(int state, std::string_view value) override {
    if (state == kOperation) create_ = value == "CREATE";
  }

 private:
  enum State : int {
    kRoot = 0, kRequest, kOperation, kUserInfo, kObject, kOldObject, kObjectSpec, kTemplate,
    kJobTemplate, kJobSpec, kPodSpec, kContainers, kContainer
  };

  int pod_spec_member(std::string_view key) {
    if (key == "containers" || key == "initContainers" || key == "ephemeralContainers") return kContainers;
    return lean(kUnreadPodSpec.contains(key));
  }
  /// kSkip for an unread member once the review is known to be a CREATE.
  int lean(bool unread) {
    if (!unread) return kKeepAll;
    if (!allow_lean_ || !create_) return kKeepAll;
    lean_used_ = true;
    return kSkip;
  }

  bool allow_lean_;
  bool create_ = false;
  bool lean_used_ = false;
};

const std::string* string_member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

/// The regular, init and ephemeral containers of a Pod spec (may be null or wrongly typed).
const json* list_of(const json* spec, const char* key) {
  if (spec == nullptr || !spec->is_object()) return nullptr;
  auto it = spec->find(key);
  return it != spec->end() && it->is_array() ? &*it : nullptr;
}

std::string annotation(const json* metadata, const char* key) {
  if (metadata == nullptr || !metadata->is_object()) return "";
  auto a = metadata->find("annotations");
  if (a == metadata->end() || !a->is_object()) return "";
  const auto* v = string_member(*a, key);
  return v != nullptr ? *v : "";
}

std::string image_of(const json& c) {
  const auto* v = string_member(c, "image");
  return v != nullptr ? *v : "";
}
std::string name_of(const json& c) {
  const auto* v = string_member(c, "name");
  return v != nullptr ? *v : "";
}

/*
 * Which Pod UPDATEs are judged, as Pod Security Admission decides it (isSignificantPodUpdate):
 * a running Pod's spec is immutable except container images, activeDeadlineSeconds, tolerations
 * and (via the subresource) ephemeral containers. An UPDATE is judged when the pod seccomp
 * annotation, the number of containers or initContainers, any image, any per-container seccomp
 * annotation changes, or an ephemeral container is added or changed; otherwise it is allowed
 * unjudged (labels, annotations, finalizers, status, ...).
 */
bool significant_pod_update(const json& pod, const json& old_pod) {
  const json* md = pod.is_object() && pod.contains("metadata") ? &pod["metadata"] : nullptr;
  const json* old_md = old_pod.is_object() && old_pod.contains("metadata") ? &old_pod["metadata"] : nullptr;
  const char* kPodSeccomp = "seccomp.security.alpha.kubernetes.io/pod";
  if (annotation(md, kPodSeccomp) != annotation(old_md, kPodSeccomp)) return true;
  const json* spec = pod.is_object() && pod.contains("spec") ? &pod["spec"] : nullptr;
  const json* old_spec = old_pod.is_object() && old_pod.contains("spec") ? &old_pod["spec"] : nullptr;
  for (const char* list : {"containers", "initContainers"}) {
    const json* a = list_of(spec, list);
    const json* b = list_of(old_spec, list);
    const std::size_t na = a != nullptr ? a->size() : 0, nb = b != nullptr ? b->size() : 0;
    if (na != nb) return true;
    for (std::size_t i = 0; i < na; ++i) {
      if (image_of((*a)[i]) != image_of((*b)[i])) return true;
      const std::string key = "container.seccomp.security.alpha.kubernetes.io/" + name_of((*a)[i]);
      if (annotation(md, key.c_str()) != annotation(old_md, key.c_str())) return true;
    }
  }
  const json* eph = list_of(spec, "ephemeralContainers");
  const json* old_eph = list_of(old_spec, "ephemeralContainers");
  if (eph != nullptr) {
    for (const auto& c : *eph) {
      bool same = false;
      if (old_eph != nullptr) {
        for (const auto& oc : *old_eph) {
          if (name_of(oc) == name_of(c)) {
            same = oc == c;
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
std::vector<std::string> changed_ephemeral_paths(const PodView& view, const json* old_pod) {
  std::vector<std::string> out;
  const json* eph = list_of(view.spec, "ephemeralContainers");
  if (eph == nullptr) return out;
  const json* old_spec =
      old_pod != nullptr && old_pod->is_object() && old_pod->contains("spec") ? &(*old_pod)["spec"] : nullptr;
  const json* old_eph = list_of(old_spec, "ephemeralContainers");
  for (std::size_t i = 0; i < eph->size(); ++i) {
    bool same = false;
    if (old_eph != nullptr) {
      for (const auto& oc : *old_eph) {
        if (name_of(oc) == name_of((*eph)[i])) {
          same = oc == (*eph)[i];
          break;
        }
      }
    }
    if (!same) out.push_back(view.spec_path + ".ephemeralContainers[" + std::to_string(i) + "]");
  }
  return out;
}

bool path_under(const std::string& path, const std::string& prefix) {
  return path.size() >= prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[');
}

bool is_sysctl_finding(const Finding& f) {
  return f.rule == "requiredSysctls" || f.rule == "unsettableSysctls" ||
         (f.rule == "podSecurity" && f.check == "sysctls");
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
[[gnu::noinline]] bool as_mutated(const Policy& policy, const PodView& view, std::string_view ns, json& pod,
                                   PodView& out) {
  if (!mutate::injection_plan(view.metadata, view.spec, ns, policy.injection).inject) return false;
  const Injection inj = mutate::effective_injection(policy);
  pod = json::object();
  pod["metadata"] = *view.metadata;
  pod["spec"] = *view.spec;
  const mutate::PatchResult r = mutate::build_patch(pod, ns, inj);
  if (!r.error.empty() || r.patch.empty()) return false;
  pod = pod.patch(r.patch);
  out.metadata = &pod["metadata"];
  out.spec = &pod["spec"];
  out.metadata_path = view.metadata_path;
  out.spec_path = view.spec_path;
  return true;
}

ObjectDecision decide(const Policy& policy, const json& object, std::string_view kind, const RequestInfo& info) {
  ObjectDecision d;
  d.kind = std::string(kind);
  if (!object.is_object()) {
    d.error = "object: expected an object, found " + std::string(json_type_name(object));
    return d;
  }
  if (auto md = object.find("metadata"); md != object.end() && !md->is_null()) {
    if (!md->is_object()) {
      d.error = "metadata: expected an object, found " + std::string(json_type_name(*md));
      return d;
    }
    for (const char* key : {"name", "generateName", "namespace"}) {
      auto it = md->find(key);
      if (it != md->end() && !it->is_null() && !it->is_string()) {
        d.error = std::string("metadata.") + key + ": expected a string, found " + std::string(json_type_name(*it));
        return d;
      }
    }
    if (const auto* n = string_member(*md, "name")) d.name = *n;
    if (d.name.empty()) {
      if (const auto* g = string_member(*md, "generateName")) d.name = *g + "*";
    }
    if (const auto* n = string_member(*md, "namespace")) d.ns = *n;
  }
  if (d.ns.empty()) d.ns = info.ns;

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
  auto extracted = extract_pod_view(object, kind);
  if (!extracted) {
    d.error = extracted.error;
    return d;
  }
  const PodView& view = extracted->view;
  if (view.spec == nullptr) {  // a ReplicationController without a template: nothing to judge
    d.allowed = true;
    return d;
  }
  if (auto shape = check_pod_shape(view); !shape.empty()) {
    d.error = std::move(shape);
    return d;
  }
  // Exemptions, as PSA has them: namespace, requesting user, runtimeClassName.
  if (contains(policy.exemptions.namespaces, d.ns)) {
    d.exempt_reason = "namespace " + d.ns;
  } else if (!info.username.empty() && contains(policy.exemptions.usernames, info.username)) {
    d.exempt_reason = "username " + info.username;
  } else if (const auto* rc = string_member(*view.spec, "runtimeClassName");
             rc != nullptr && contains(policy.exemptions.runtime_classes, *rc)) {
    d.exempt_reason = "runtimeClassName " + *rc;
  }
  if (!d.exempt_reason.empty()) {
    d.allowed = true;
    return d;
  }

  // UPDATE: judge only what can change.
  const bool update = info.operation == "UPDATE" && info.old_object != nullptr && info.old_object->is_object();
  std::vector<std::string> only_paths;  // non-empty: keep findings under these paths only
  bool only_go = false;
  bool drop_sysctls = false;
  if (update && is_pod) {
    if (info.sub_resource == "ephemeralcontainers") {
      only_paths = changed_ephemeral_paths(view, info.old_object);
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
  } else if (update && extracted->is_template) {
    auto old = extract_pod_view(*info.old_object, kind);
    if (old && old->view.spec != nullptr && *old->view.spec == *view.spec &&
        *old->view.metadata == *view.metadata) {
      d.allowed = true;  // the Pod template did not change: no new Pod differs from the old ones
      return d;
    }
  } else if (is_pod && info.sub_resource == "ephemeralcontainers") {
    only_paths = changed_ephemeral_paths(view, nullptr);
  } else if (is_pod && info.sub_resource == "resize") {
    only_go = true;
  }

  rules::Findings findings;
  try {
    if (extracted->is_template && policy.injection.enabled) {  // else nothing is injected: no copies
      json mutated_pod;
      PodView mutated_view;
      const bool mutated = as_mutated(policy, view, d.ns, mutated_pod, mutated_view);
      run_rules(policy, mutated ? mutated_view : view, d.ns, findings);
    } else {
      run_rules(policy, view, d.ns, findings);
    }
  } catch (const std::exception& e) {  // a rule met a shape check_pod_shape let through
    d.error = std::string("evaluating the Pod: ") + e.what();
    return d;
  }
  for (auto& f : findings) {
    if (drop_sysctls && is_sysctl_finding(f)) continue;
    if (only_go && f.rule != "goRuntime") continue;
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
      if (const auto* k = string_member(object, "kind")) kind = *k;
    }
    if (kind.empty()) {
      ObjectDecision d;
      d.error = object.is_object() ? "kind: missing or not a string" : "object: expected a JSON object";
      return d;
    }
    return decide(*policy_, object, kind, info);
  } catch (const std::exception& e) {
    ObjectDecision d;
    d.error = std::string("evaluating the object: ") + e.what();
    return d;
  }
}

ReviewOutcome Engine::validate(std::string_view body) const {
  ReviewOutcome out;
  try {
    // One reading step with /mutate (read_admission_review); what no rule reads is checked but
    // not built (ReviewFilter).
    json tree;
    struct Release {  // the review's tree is freed depth first (see release_json)
      json& v;
      ~Release() { release_json(v); }
    } release{tree};
    ReviewFilter filter(true);
    auto req = read_admission_review(body, tree, &filter);
    if (req && filter.lean_used() && req->operation != "CREATE") {
      ReviewFilter whole(false);  // not a CREATE after all: UPDATE compares whole Pod templates
      release_json(tree);
      req = read_admission_review(body, tree, &whole);
    }
    if (!req) return bad_request(out, req.error);
    out.uid = req->uid;
    out.kind = req->kind;
    out.ns = req->ns;
    out.name = req->name;
    out.user = req->username;
    out.operation = req->operation;

    ObjectDecision d;
    if (req->operation == "DELETE" || req->operation == "CONNECT") {
      d.allowed = true;
    } else if (!req->sub_resource.empty() &&
               !(req->kind == "Pod" && (req->sub_resource == "ephemeralcontainers" || req->sub_resource == "resize"))) {
      d.allowed = true;
    } else {
      if (!is_pod_kind(req->kind)) {
        return bad_request(out, "AdmissionReview.request.kind.kind: \"" + printable(req->kind, 128) +
                                    "\" is not a kind this webhook judges (Pod, Deployment, ReplicaSet, StatefulSet, "
                                    "DaemonSet, Job, CronJob, ReplicationController, PodTemplate)");
      }
      if (req->object == nullptr) return bad_request(out, "AdmissionReview.request.object: missing");
      RequestInfo info;  // req's copies are not needed after this (out has its own)
      info.operation = std::move(req.value->operation);
      info.username = std::move(req.value->username);
      info.ns = std::move(req.value->ns);
      info.sub_resource = std::move(req.value->sub_resource);
      info.old_object = req->old_object;
      d = decide(*policy_, *req->object, req->kind, info);
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
    out.body = encode_admission_response(req->api_version, req->uid, a);
    out.http_status = 200;
    return out;
  } catch (const std::exception& e) {
    return bad_request(out, std::string("AdmissionReview: ") + e.what());
  }
}

}  // namespace gopreflight::webhook
