// `gopreflight-webhook review` and `gopreflight-webhook policy lint`: judging manifests offline with
// the server's engine, and validating a policy file.
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gopreflight/webhook/cli.hpp"
#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "gopreflight/webhook/policy_io.hpp"
#include "gopreflight/webhook/review.hpp"

namespace gopreflight::webhook {
namespace review {
namespace {

const std::string* string_at(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
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

int Report::exit_code() const {
  if (!input_errors.empty()) return 2;
  bool denied = false;
  for (const auto& o : objects) {
    if (o.status == Status::error) return 2;
    denied = denied || o.status == Status::denied;
  }
  return denied ? 1 : 0;
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

Report run(const Engine& engine, const Manifests& manifests) {
  Report report;
  report.policy = engine.policy().source;
  report.input_errors = manifests.errors;
  for (const auto& m : manifests.objects) {
    ReviewedObject o;
    o.file = m.file;
    o.line = m.line;
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
    if (o.ns.empty()) o.ns = "default";
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
      o.status = o.decision.allowed ? Status::allowed : Status::denied;
    }
    report.objects.push_back(std::move(o));
  }
  return report;
}

}  // namespace review

namespace cli {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

}  // namespace

void register_review_commands(CLI::App& app, int& exit_code) {
  auto* review_cmd = app.add_subcommand(
      "review", "Judge manifests offline with the admission engine (exit 0 allowed, 1 denied, 2 unreadable)");
  auto policy_path = std::make_shared<std::string>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("text");
  review_cmd->add_option("--policy", *policy_path, "Policy file (YAML or JSON); default: the built-in policy");
  review_cmd->add_option("-f,--filename", *inputs, "Manifest file, directory (recursive) or - for stdin; repeatable")
      ->required()
      ->allow_extra_args(false);
  review_cmd->add_option("-o,--output", *output, "text, json, junit or sarif")
      ->check(CLI::IsMember({"text", "json", "junit", "sarif"}));
  review_cmd->callback([policy_path, inputs, output, &exit_code] {
    std::string err;
    auto engine = Engine::load(policy_path->empty() ? std::nullopt : std::optional<std::string>(*policy_path), err);
    if (!engine) {
      std::cerr << err << "\n"
                << "gopreflight-webhook review: the policy has problems; see `gopreflight-webhook policy lint "
                << *policy_path << "`\n";
      exit_code = 2;
      return;
    }
    const auto manifests = review::read_inputs(*inputs, std::cin);
    const auto report = review::run(*engine, manifests);
    if (*output == "json") std::cout << dump(review::render_json(report));
    else if (*output == "sarif") std::cout << dump(review::render_sarif(report));
    else if (*output == "junit") std::cout << review::render_junit(report);
    else std::cout << review::render_text(report);
    std::cout.flush();
    exit_code = report.exit_code();
  });

  auto* policy = app.add_subcommand("policy", "Policy file tools");
  policy->require_subcommand(1);
  auto* lint = policy->add_subcommand(
      "lint", "Validate a policy file: file:line:col per problem (exit 0 clean, 1 problems, 2 unreadable)");
  auto lint_file = std::make_shared<std::string>();
  lint->add_option("FILE", *lint_file, "Policy file (YAML or JSON)")->required();
  lint->callback([lint_file, &exit_code] {
    PolicyParse parsed = load_policy_file(*lint_file);
    if (parsed.unreadable) {
      std::cerr << join_problems(parsed.problems) << "\n";
      exit_code = 2;
      return;
    }
    std::vector<PolicyProblem> all = parsed.problems;
    if (parsed.policy) {
      auto more = lint_policy(*parsed.policy, parsed.marks);
      all.insert(all.end(), more.begin(), more.end());
    }
    for (const auto& p : all) std::cout << p.str() << "\n";
    if (all.empty()) std::cout << *lint_file << ": ok\n";
    exit_code = all.empty() ? 0 : 1;
  });
}

}  // namespace cli
}  // namespace gopreflight::webhook
