// Judging manifests with the real engine and the built-in policy; statuses and exit codes.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy_io.hpp"
#include "gopreflight/webhook/review.hpp"
#include "gopreflight/webhook/rules.hpp"

using namespace gopreflight::webhook;
using namespace gopreflight::webhook::review;

namespace {

const std::string kData = GP_REVIEW_TESTDATA;

Report review_files(const std::vector<std::string>& files) {
  const Engine engine(builtin_policy());
  std::istringstream no_stdin;
  return run(engine, read_inputs(files, no_stdin));
}

Report review_text(const std::string& text) {
  const Engine engine(builtin_policy());
  return run(engine, read_text(text, "t.yaml"));
}

}  // namespace

TEST_SUITE("review_run") {
  TEST_CASE("workload kinds are judged only in their API groups") {
    struct Case {
      const char* api;
      const char* kind;
      bool judged;
    };
    const Case cases[] = {
        {"v1", "Pod", true},          {"apps/v1", "Deployment", true},   {"apps/v1", "ReplicaSet", true},
        {"apps/v1", "StatefulSet", true}, {"apps/v1", "DaemonSet", true}, {"batch/v1", "Job", true},
        {"batch/v1", "CronJob", true}, {"batch/v1beta1", "CronJob", true}, {"v1", "ReplicationController", true},
        {"v1", "PodTemplate", true},   {"extensions/v1beta1", "Deployment", true},
        {"v1", "Service", false},      {"v1", "ConfigMap", false},        {"example.com/v1", "Deployment", false},
        {"apps/v1", "Pod", false},     {"", "Pod", false},                {"v1", "pod", false},
    };
    for (const auto& c : cases) {
      CAPTURE(c.api);
      CAPTURE(c.kind);
      CHECK(is_workload(c.api, c.kind) == c.judged);
    }
  }

  TEST_CASE("compliant Deployment allowed, bad one denied with paths, Service skipped") {
    auto r = review_files({kData + "/compliant-deployment.yaml", kData + "/bad-deployment.yaml", kData + "/service.yaml"});
    REQUIRE(r.objects.size() == 4);
    INFO(render_text(r));
    CHECK(r.objects[0].status == Status::allowed);
    CHECK(r.objects[0].decision.violations.empty());
    CHECK(r.objects[1].status == Status::denied);
    CHECK(r.objects[1].kind == "Deployment");
    CHECK(r.objects[1].name == "api");
    CHECK(r.objects[1].ns == "shop");
    CHECK(r.objects[1].line == 2);
    bool sysctl = false, run_as_non_root = false, memory = false;
    for (const auto& v : r.objects[1].decision.violations) {
      CHECK(v.path.rfind("spec.template.spec", 0) == 0);
      sysctl = sysctl || (v.rule == "requiredSysctls" && v.check == "net.ipv4.tcp_fin_timeout");
      run_as_non_root = run_as_non_root || v.path == "spec.template.spec.containers[0].securityContext.runAsNonRoot";
      memory = memory || v.rule == "goRuntime";
    }
    CHECK(sysctl);
    CHECK(run_as_non_root);
    CHECK(memory);
    CHECK(r.objects[2].status == Status::skipped);
    CHECK(r.objects[2].kind == "Service");
    CHECK(r.objects[2].reason == "Service (v1) is not a Pod or a workload with a Pod template");
    CHECK(r.objects[3].status == Status::skipped);
    CHECK(r.exit_code() == 1);
  }

  TEST_CASE("exit codes: 0 allowed or skipped, 1 denied, 2 unreadable wins") {
    CHECK(review_files({kData + "/compliant-deployment.yaml"}).exit_code() == 0);
    CHECK(review_files({kData + "/service.yaml"}).exit_code() == 0);
    CHECK(review_files({kData + "/bad-deployment.yaml"}).exit_code() == 1);
    CHECK(review_files({kData + "/bad-deployment.yaml", kData + "/malformed.yaml"}).exit_code() == 2);
    CHECK(review_files({kData + "/missing.yaml"}).exit_code() == 2);
  }

  TEST_CASE("objects that cannot be read are errors, never allowed") {
    const char* bad[] = {
        "just a string\n",
        "apiVersion: v1\nmetadata: {name: x}\n",
        "kind: Pod\nmetadata: {name: x}\n",
        "apiVersion: v1\nkind: [Pod]\n",
        "apiVersion: v1\nkind: Pod\nmetadata: [x]\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: 7\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: {a: 1}}}}\n",
    };
    for (const char* text : bad) {
      CAPTURE(text);
      auto r = review_text(text);
      REQUIRE(r.objects.size() == 1);
      CHECK(r.objects[0].status == Status::error);
      CHECK_FALSE(r.objects[0].reason.empty());
      CHECK(r.exit_code() == 2);
    }
  }

  TEST_CASE("namespace defaults to default; exemptions show") {
    auto r = review_files({kData + "/list.yaml", kData + "/pod.json"});
    REQUIRE(r.objects.size() == 3);
    CHECK(r.objects[1].ns == "default");
    CHECK(r.objects[1].status == Status::denied);
    CHECK(r.objects[2].ns == "kube-system");
    CHECK(r.objects[2].status == Status::allowed);
    CHECK(r.objects[2].decision.exempt_reason.find("kube-system") != std::string::npos);
  }

  TEST_CASE("the policy decides: a baseline-only policy allows the bad Deployment") {
    auto parsed = parse_policy("apiVersion: gopreflight.io/v1alpha1\nkind: Policy\npodSecurity: {level: baseline}\n", "b.yaml");
    REQUIRE(parsed.policy);
    const Engine engine(parsed.policy);
    std::istringstream none;
    auto r = run(engine, read_inputs({kData + "/bad-deployment.yaml"}, none));
    REQUIRE(r.objects.size() == 1);
    CHECK(r.objects[0].status == Status::allowed);
    CHECK(r.policy == "b.yaml");
  }

  TEST_CASE("--namespace: objects without one are judged in it, so namespace exemptions match") {
    const Engine engine(builtin_policy());
    const std::string pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]\n";
    RunOptions in_system;
    in_system.default_namespace = "kube-system";
    auto r = run(engine, read_text(pod, "p.yaml"), in_system);
    REQUIRE(r.objects.size() == 1);
    CHECK(r.objects[0].ns == "kube-system");
    CHECK(r.objects[0].status == Status::allowed);
    CHECK(!r.objects[0].decision.exempt_reason.empty());
    auto d = run(engine, read_text(pod, "p.yaml"));
    CHECK(d.objects[0].ns == "default");
    CHECK(d.objects[0].status == Status::denied);
    // An object's own namespace wins over the option.
    auto own = run(engine, read_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: c, image: i}]\n", "p.yaml"), in_system);
    CHECK(own.objects[0].ns == "shop");
    CHECK(own.objects[0].status == Status::denied);
  }

  TEST_CASE("--skip-rule: a rule or one rule/check is left out; only-skipped violations allow") {
    const Engine engine(builtin_policy());
    std::istringstream none;
    const auto manifests = read_inputs({kData + "/bad-deployment.yaml"}, none);
    auto all = run(engine, manifests);
    REQUIRE(all.objects.size() == 1);
    REQUIRE(all.objects[0].status == Status::denied);
    std::set<std::string> rules;
    for (const auto& f : all.objects[0].decision.violations) rules.insert(f.rule);
    REQUIRE(rules.size() >= 2);

    RunOptions one;
    one.skip_rules.insert("podSecurity/runAsNonRoot");
    auto r1 = run(engine, manifests, one);
    CHECK(r1.objects[0].decision.violations.size() == all.objects[0].decision.violations.size() - 1);
    for (const auto& f : r1.objects[0].decision.violations) CHECK(f.check != "runAsNonRoot");
    CHECK(r1.objects[0].status == Status::denied);

    RunOptions every;
    for (const auto& rule : rules) every.skip_rules.insert(rule);
    auto r2 = run(engine, manifests, every);
    CHECK(r2.objects[0].decision.violations.empty());
    CHECK(r2.objects[0].status == Status::allowed);
    CHECK(r2.exit_code() == 0);
  }

  TEST_CASE("fail_on_warning: a warning alone exits 1") {
    auto parsed = parse_policy("apiVersion: gopreflight.io/v1alpha1\nkind: Policy\npodSecurity: {level: restricted, mode: warn}\n", "w.yaml");
    REQUIRE(parsed.policy);
    const Engine engine(parsed.policy);
    std::istringstream none;
    const auto manifests = read_inputs({kData + "/bad-deployment.yaml"}, none);
    auto r = run(engine, manifests);
    REQUIRE(r.objects.size() == 1);
    REQUIRE(!r.objects[0].decision.warnings.empty());
    CHECK(r.objects[0].status == Status::allowed);
    CHECK(r.exit_code() == 0);
    RunOptions strict;
    strict.fail_on_warning = true;
    CHECK(run(engine, manifests, strict).exit_code() == 1);
  }

  TEST_CASE("line_of: the field's line, else its nearest parent's, else the object's") {
    auto r = review_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: i\n      securityContext:\n        privileged: true\n");
    REQUIRE(r.objects.size() == 1);
    const auto& o = r.objects[0];
    CHECK(o.line_of("spec.containers[0].securityContext.privileged") == 10);
    CHECK(o.line_of("spec.containers[0].securityContext.runAsNonRoot") == 9);
    CHECK(o.line_of("spec.containers[0].resources.limits.memory") == 7);
    CHECK(o.line_of("spec.securityContext.sysctls") == 5);
    CHECK(o.line_of("status") == 1);
    CHECK(o.line_of("") == 1);
  }

  TEST_CASE("rules::kRuleIds covers every rule a finding names (--skip-rule and docs/policy/ rely on it)") {
    // A policy with every section, and manifests that trip each rule.
    auto parsed = parse_policy(
        "apiVersion: gopreflight.io/v1alpha1\nkind: Policy\n"
        "podSecurity: {level: restricted}\n"
        "requiredSysctls: [{name: net.ipv4.tcp_fin_timeout, max: 30}]\n"
        "securityContext: {readOnlyRootFilesystem: true}\n"
        "goRuntime: {mode: enforce}\n"
        "initCheck: {namespaces: [shop]}\n",
        "all.yaml");
    REQUIRE(parsed.policy);
    const Engine engine(parsed.policy);
    std::istringstream none;
    auto r = run(engine, read_inputs({kData}, none));
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n"
        "  securityContext: {sysctls: [{name: vm.max_map_count, value: '1'}]}\n"
        "  containers: [{name: c, image: i}]\n";
    auto extra = run(engine, read_text(pod, "p.yaml"));
    std::set<std::string> seen;
    for (const auto* report : {&r, &extra})
      for (const auto& o : report->objects)
        for (const auto* list : {&o.decision.violations, &o.decision.warnings, &o.decision.audits})
          for (const auto& f : *list) seen.insert(f.rule);
    const auto& ids = gopreflight::webhook::rules::kRuleIds;
    for (const auto& rule : seen) {
      CAPTURE(rule);
      CHECK(std::find(ids.begin(), ids.end(), rule) != ids.end());
    }
    CHECK(seen.size() == ids.size());  // every rule fired, so the check above saw them all
  }
}
