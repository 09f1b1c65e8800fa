// `review`: judging the objects read from manifests with the server's engine (pure: no I/O).
#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "gopreflight/webhook/review.hpp"

namespace gopreflight::webhook::review {
namespace {

const std::string* string_at(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

bool skipped(const Finding& f, const RunOptions& options) {
  if (options.skip_rules.empty()) return false;
  return options.skip_rules.count(f.rule) > 0 ||
         (!f.check.empty() && options.skip_rules.count(f.rule + "/" + f.check) > 0);
}

void drop_skipped(std::vector<Finding>& findings, const RunOptions& options) {
  findings.erase(std::remove_if(findings.begin(), findings.end(), [&](const Finding& f) { return skipped(f, options); }),
                 findings.end());
}

}  // namespace

std::string_view to_string(Status s) {
  switch (s) {
    case Status::allowed: return "allowed";
    case Status::denied: return "denied";
    case Status::skipped: return "skipped";
    case Status::error: return "error";
  }
  return "error";
}

std::string rule_doc(std::string_view rule) { return "docs/policy/" + std::string(rule) + ".md"; }

std::string rule_doc_url(std::string_view rule) {
  return "https://github.com/gopreflight/gopreflight/blob/main/" + rule_doc(rule);
}

int ReviewedObject::line_of(std::string_view path) const {
  // The field itself, else its nearest parent ("a.b[2].c" -> "a.b[2]" -> "a.b" -> "a").
  while (!path.empty()) {
    auto it = field_lines.find(path);
    if (it != field_lines.end()) return it->second;
    const auto cut = path.find_last_of(".[");
    if (cut == std::string_view::npos) break;
    path = path.substr(0, cut);
  }
  return line;
}

int Report::exit_code() const {
  if (!input_errors.empty()) return 2;
  bool failed = false;
  for (const auto& o : objects) {
    if (o.status == Status::error) return 2;
    failed = failed || o.status == Status::denied || (fail_on_warning && !o.decision.warnings.empty());
  }
  return failed ? 1 : 0;
}

/*
 * The kinds the engine judges: Pods and the Pod templates of the built-in workload controllers,
 * in their API groups only (a CRD that happens to be called "Deployment" is not a workload).
 */
bool is_workload(std::string_view api_version, std::string_view kind) {
  const auto slash = api_version.find('/');
  const std::string_view group = slash == std::string_view::npos ? std::string_view{} : api_version.substr(0, slash);
  if (kind == "Pod" || kind == "ReplicationController" || kind == "PodTemplate") return group.empty() && !api_version.empty();
  if (kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" || kind == "DaemonSet")
    return group == "apps" || group == "extensions";
  if (kind == "Job" || kind == "CronJob") return group == "batch";
  return false;
}

Report run(const Engine& engine, const Manifests& manifests, const RunOptions& options) {
  Report report;
  report.policy = engine.policy().source;
  report.input_errors = manifests.errors;
  report.fail_on_warning = options.fail_on_warning;
  for (const auto& m : manifests.objects) {
    ReviewedObject o;
    o.file = m.file;
    o.line = m.line;
    o.field_lines = m.field_lines;
    const auto& obj = m.object;
    if (!obj.is_object()) {
      o.reason = "the document is not a Kubernetes object (expected a mapping with apiVersion and kind)";
      report.objects.push_back(std::move(o));
      continue;
    }
    const auto* kind = string_at(obj, "kind");
    const auto* api = string_at(obj, "apiVersion");
    if (kind != nullptr) o.kind = *kind;
    if (api != nullptr) o.api_version = *api;
    const nlohmann::json* md = obj.contains("metadata") ? &obj["metadata"] : nullptr;
    if (md != nullptr) {
      if (const auto* n = string_at(*md, "name")) o.name = *n;
      else if (const auto* g = string_at(*md, "generateName")) o.name = *g + "*";
      if (const auto* ns = string_at(*md, "namespace")) o.ns = *ns;
    }
    if (kind == nullptr || kind->empty() || api == nullptr || api->empty()) {
      o.reason = std::string(kind == nullptr || kind->empty() ? "kind" : "apiVersion") + ": missing or not a string";
      report.objects.push_back(std::move(o));
      continue;
    }
    if (md != nullptr && !md->is_object()) {
      o.reason = "metadata: expected a mapping, found " + std::string(md->type_name());
      report.objects.push_back(std::move(o));
      continue;
    }
    if (!is_workload(*api, *kind)) {
      o.status = Status::skipped;
      o.reason = *kind + " (" + *api + ") is not a Pod or a workload with a Pod template";
      report.objects.push_back(std::move(o));
      continue;
    }
    if (o.ns.empty()) o.ns = options.default_namespace;
    RequestInfo info;
    info.operation = "CREATE";
    info.ns = o.ns;
    try {
      o.decision = engine.evaluate_object(obj, info);
    } catch (const std::exception& e) {
      o.decision = ObjectDecision{};
      o.decision.error = std::string("evaluating the object: ") + e.what();
    }
    if (!o.decision.error.empty()) {
      o.status = Status::error;
      o.reason = o.decision.error;
    } else {
      const bool had_violations = !o.decision.violations.empty();
      drop_skipped(o.decision.violations, options);
      drop_skipped(o.decision.warnings, options);
      drop_skipped(o.decision.audits, options);
      // Denied only for skipped rules: allowed. Denied for another reason (no violation listed):
      // still denied.
      if (!o.decision.allowed && had_violations && o.decision.violations.empty()) o.decision.allowed = true;
      o.status = o.decision.allowed ? Status::allowed : Status::denied;
    }
    report.objects.push_back(std::move(o));
  }
  return report;
}

}  // namespace gopreflight::webhook::review
