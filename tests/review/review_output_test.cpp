// The four renderings of one Report: text lines, JSON shape, SARIF 2.1.0 required fields, JUnit XML.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gopreflight/webhook/review.hpp"

using namespace gopreflight::webhook;
using namespace gopreflight::webhook::review;
using nlohmann::json;

namespace {

Finding finding(const char* rule, const char* check, const char* path, const char* msg, const char* fix, const char* mode) {
  return Finding{rule, check, path, msg, fix, mode};
}

Report sample() {
  Report r;
  r.policy = "built-in";
  r.input_errors.push_back({"broken.yaml", 6, 5, "YAML: end of sequence flow not found"});
  ReviewedObject denied;
  denied.file = "deploy/api.yaml";
  denied.line = 3;
  denied.api_version = "apps/v1";
  denied.kind = "Deployment";
  denied.name = "api";
  denied.ns = "shop";
  denied.status = Status::denied;
  // Lines of the fields, as the manifest reader records them: findings point at their field or its
  // nearest parent in the file.
  denied.field_lines = {{"spec", 5}, {"spec.template.spec.containers[0]", 12},
                        {"spec.template.spec.containers[0].securityContext", 14}};
  denied.decision.violations.push_back(finding("podSecurity", "runAsNonRoot",
                                               "spec.template.spec.containers[0].securityContext.runAsNonRoot",
                                               "must be true (restricted, v1.35)", "set runAsNonRoot: true", "enforce"));
  denied.decision.warnings.push_back(finding("goRuntime", "gomemlimit", "spec.template.spec.containers[0].env",
                                             "GOMEMLIMIT is not set", "set GOMEMLIMIT=460MiB", "warn"));
  denied.decision.audits.push_back(finding("initCheck", "", "spec.template.spec.initContainers",
                                           "no gopreflight-check <init> container & \"friends\"", "", "audit"));
  r.objects.push_back(denied);
  ReviewedObject skipped;
  skipped.file = "deploy/api.yaml";
  skipped.line = 30;
  skipped.api_version = "v1";
  skipped.kind = "Service";
  skipped.name = "api";
  skipped.ns = "shop";
  skipped.status = Status::skipped;
  skipped.reason = "Service (v1) is not a Pod or a workload with a Pod template";
  r.objects.push_back(skipped);
  ReviewedObject unreadable;
  unreadable.file = "my dir/pod.yaml";
  unreadable.line = 1;
  unreadable.status = Status::error;
  unreadable.reason = "kind: missing or not a string";
  r.objects.push_back(unreadable);
  ReviewedObject allowed;
  allowed.file = "/abs/pod.yaml";
  allowed.line = 2;
  allowed.api_version = "v1";
  allowed.kind = "Pod";
  allowed.name = "tool";
  allowed.ns = "kube-system";
  allowed.status = Status::allowed;
  allowed.decision.allowed = true;
  allowed.decision.exempt_reason = "namespace kube-system";
  r.objects.push_back(allowed);
  return r;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    const auto nl = s.find('\n', start);
    out.push_back(s.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

// Minimal well-formedness: declaration first, tags balanced and properly nested, attributes quoted,
// only the five predefined entities, no raw '<' or '&' in text.
std::string xml_problem(const std::string& x) {
  if (x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0) != 0) return "no XML declaration";
  std::vector<std::string> stack;
  std::size_t i = x.find('\n') + 1;
  while (i < x.size()) {
    if (x[i] == '&') {
      const auto semi = x.find(';', i);
      if (semi == std::string::npos) return "bare &";
      const std::string ent = x.substr(i, semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&apos;") return "entity " + ent;
      i = semi + 1;
      continue;
    }
    if (x[i] != '<') {
      if (static_cast<unsigned char>(x[i]) < 0x20 && x[i] != '\n' && x[i] != '\t' && x[i] != '\r') return "control char";
      ++i;
      continue;
    }
    const auto end = x.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    std::string tag = x.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.find('<') != std::string::npos) return "'<' inside a tag";
    const bool closing = !tag.empty() && tag[0] == '/';
    const bool self = !tag.empty() && tag.back() == '/';
    std::size_t quotes = 0;
    for (char c : tag) quotes += c == '"';
    if (quotes % 2 != 0) return "unbalanced quotes in <" + tag + ">";
    const std::string name = tag.substr(closing ? 1 : 0, tag.find_first_of(" /", closing ? 1 : 0) - (closing ? 1 : 0));
    if (closing) {
      if (stack.empty() || stack.back() != name) return "mismatched </" + name + ">";
      stack.pop_back();
    } else if (!self) {
      stack.push_back(name);
    }
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

}  // namespace

TEST_SUITE("review_output") {
  TEST_CASE("text reads like compiler errors") {
    const auto got = lines(render_text(sample()));
    const std::vector<std::string> want = {
        "broken.yaml:6:5: error: YAML: end of sequence flow not found",
        "deploy/api.yaml:14: error: deployment/api (shop) spec.template.spec.containers[0].securityContext.runAsNonRoot: "
        "must be true (restricted, v1.35); fix: set runAsNonRoot: true [podSecurity/runAsNonRoot]",
        "deploy/api.yaml:12: warning: deployment/api (shop) spec.template.spec.containers[0].env: GOMEMLIMIT is not set; "
        "fix: set GOMEMLIMIT=460MiB [goRuntime/gomemlimit]",
        "deploy/api.yaml:5: note: deployment/api (shop) spec.template.spec.initContainers: no gopreflight-check <init> "
        "container & \"friends\" [initCheck, audit]",
        "my dir/pod.yaml:1: error: object/<unnamed>: cannot be judged: kind: missing or not a string",
        "/abs/pod.yaml:2: note: pod/tool (kube-system): exempt (namespace kube-system)",
        "4 objects: 1 allowed, 1 denied, 1 skipped (not Pods or workloads), 2 unreadable; 1 violation, 1 warning "
        "(policy: built-in)",
        "rules: goRuntime (docs/policy/goRuntime.md) podSecurity (docs/policy/podSecurity.md)",
    };
    CHECK(got == want);
  }

  TEST_CASE("JSON: every object with status, allowed, violations, warnings") {
    const auto r = sample();
    const json j = render_json(r);
    CHECK(j["policy"] == "built-in");
    CHECK(j["summary"] == json{{"objects", 4}, {"allowed", 1}, {"denied", 1}, {"skipped", 1}, {"errors", 2},
                               {"violations", 1}, {"warnings", 1}, {"exitCode", 2}});
    REQUIRE(j["errors"].size() == 1);
    CHECK(j["errors"][0] == json{{"file", "broken.yaml"}, {"line", 6}, {"column", 5},
                                 {"message", "YAML: end of sequence flow not found"}});
    REQUIRE(j["objects"].size() == 4);
    const json& d = j["objects"][0];
    CHECK(d["status"] == "denied");
    CHECK(d["allowed"] == false);
    CHECK(d["kind"] == "Deployment");
    CHECK(d["namespace"] == "shop");
    CHECK(d["line"] == 3);
    CHECK(d["violations"][0] == json{{"rule", "podSecurity"}, {"check", "runAsNonRoot"},
                                     {"path", "spec.template.spec.containers[0].securityContext.runAsNonRoot"},
                                     {"message", "must be true (restricted, v1.35)"}, {"fix", "set runAsNonRoot: true"},
                                     {"mode", "enforce"}, {"line", 14}, {"doc", "docs/policy/podSecurity.md"}});
    CHECK(d["warnings"].size() == 1);
    CHECK(d["audits"].size() == 1);
    CHECK(j["objects"][1]["status"] == "skipped");
    CHECK(j["objects"][1]["allowed"].is_null());  // not judged: neither allowed nor denied
    CHECK(j["objects"][1]["reason"] == "Service (v1) is not a Pod or a workload with a Pod template");
    CHECK(j["objects"][2]["status"] == "error");
    CHECK(j["objects"][2]["allowed"] == false);  // unreadable is never allowed
    CHECK(j["objects"][3]["allowed"] == true);
    CHECK(j["objects"][3]["exempt"] == "namespace kube-system");
  }

  TEST_CASE("SARIF 2.1.0: required fields, rule indexes, levels, locations") {
    const json s = render_sarif(sample());
    CHECK(s["version"] == "2.1.0");
    CHECK(s["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json");
    REQUIRE(s["runs"].size() == 1);
    const json& run = s["runs"][0];
    CHECK(run["tool"]["driver"]["name"] == "gopreflight-webhook");
    const json& rules = run["tool"]["driver"]["rules"];
    const json& results = run["results"];
    REQUIRE(results.size() == 5);  // input error, violation, warning, audit, unreadable object
    std::vector<std::string> levels, ids;
    for (const auto& res : results) {
      REQUIRE(res.contains("ruleId"));
      REQUIRE(res["message"]["text"].is_string());
      REQUIRE(res["locations"].size() == 1);
      REQUIRE(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
      REQUIRE(res["ruleIndex"].get<std::size_t>() < rules.size());
      CHECK(rules[res["ruleIndex"].get<std::size_t>()]["id"] == res["ruleId"]);
      levels.push_back(res["level"]);
      ids.push_back(res["ruleId"]);
    }
    CHECK(levels == std::vector<std::string>{"error", "error", "warning", "note", "error"});
    CHECK(ids == std::vector<std::string>{"input", "podSecurity/runAsNonRoot", "goRuntime/gomemlimit", "initCheck", "input"});
    CHECK(rules.size() == 4);  // "input" listed once
    const json& loc = results[1]["locations"][0];
    CHECK(loc["physicalLocation"]["artifactLocation"]["uri"] == "deploy/api.yaml");
    CHECK(loc["physicalLocation"]["region"]["startLine"] == 14);  // the field's line, not the document's
    CHECK(results[2]["locations"][0]["physicalLocation"]["region"]["startLine"] == 12);
    for (const auto& rule : rules) {
      if (rule["id"] == "input") CHECK(!rule.contains("helpUri"));
      else CHECK(rule["helpUri"].get<std::string>().find("/docs/policy/" + rule["id"].get<std::string>().substr(0, rule["id"].get<std::string>().find('/')) + ".md") != std::string::npos);
    }
    CHECK(loc["logicalLocations"][0]["fullyQualifiedName"] ==
          "deployment/api (shop) spec.template.spec.containers[0].securityContext.runAsNonRoot");
    CHECK(results[0]["locations"][0]["physicalLocation"]["region"] == json{{"startLine", 6}, {"startColumn", 5}});
    CHECK(results[4]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20dir/pod.yaml");
    CHECK(results[1]["properties"]["fix"] == "set runAsNonRoot: true");
    CHECK(run["invocations"][0]["executionSuccessful"] == false);
  }

  TEST_CASE("JUnit: well-formed, one suite per file, counts match") {
    const std::string x = render_junit(sample());
    INFO(x);
    CHECK(xml_problem(x) == "");
    CHECK(x.find("<testsuites name=\"gopreflight-webhook review\" tests=\"5\" failures=\"1\" errors=\"2\" skipped=\"1\">") !=
          std::string::npos);
    CHECK(x.find("<testsuite name=\"deploy/api.yaml\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"1\">") !=
          std::string::npos);
    CHECK(x.find("<failure type=\"denied\" message=\"1 violation\">") != std::string::npos);
    CHECK(x.find("&lt;init&gt; container &amp; &quot;friends&quot;") != std::string::npos);
    CHECK(x.find("<skipped message=\"Service (v1) is not a Pod or a workload with a Pod template\"/>") != std::string::npos);

    Report ctrl;
    ctrl.policy = "p";
    ReviewedObject o;
    o.file = "f.yaml";
    o.name = std::string("a\x01") + "b";
    o.kind = "Pod";
    o.status = Status::allowed;
    ctrl.objects.push_back(o);
    CHECK(xml_problem(render_junit(ctrl)) == "");  // control characters cannot appear in XML 1.0
    CHECK(xml_problem("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a><b></a></b>") != "");  // the checker checks
  }

  TEST_CASE("an empty report") {
    Report r;
    r.policy = "built-in";
    CHECK(render_text(r) == "0 objects: 0 allowed, 0 denied, 0 skipped (not Pods or workloads), 0 unreadable; "
                            "0 violations, 0 warnings (policy: built-in)\n");
    CHECK(render_json(r)["objects"].empty());
    CHECK(render_sarif(r)["runs"][0]["results"].empty());
    CHECK(xml_problem(render_junit(r)) == "");
    CHECK(r.exit_code() == 0);
  }
}
