// The one injection decision (mutate::injection_selects / injection_plan), used by /mutate and by
// the initCheck rule for workload templates: a table over the opt-in key, the namespace list,
// injection on/off and Windows Pods, and the patch position after native sidecars.
#include <doctest/doctest.h>

#include "gopreflight/webhook/mutate.hpp"
#include "gopreflight/webhook/policy_io.hpp"
#include "helpers.hpp"

using namespace gp_test;
namespace mut = gopreflight::webhook::mutate;

namespace {

struct Row {
  const char* what;
  bool enabled;
  std::vector<std::string> namespaces;
  const char* label;       ///< value of the opt-in label, nullptr = absent
  const char* annotation;  ///< value of the opt-in annotation, nullptr = absent
  bool windows;
  bool selected;
  const char* reason;  ///< a piece of the reason
};

json metadata_for(const Row& r) {
  json md = json::object();
  if (r.label != nullptr) md["labels"]["gopreflight.io/inject"] = r.label;
  if (r.annotation != nullptr) md["annotations"]["gopreflight.io/inject"] = r.annotation;
  return md;
}

json spec_for(const Row& r) {
  json spec = {{"containers", json::array({{{"name", "app"}, {"image", "app:1"}}})}};
  if (r.windows) spec["os"] = {{"name", "windows"}};
  return spec;
}

}  // namespace

TEST_SUITE("rules") {
  TEST_CASE("injection_selects: opt-in key, namespaces, \"*\", disabled, Windows") {
    const std::vector<std::string> none, shop = {"shop"}, other = {"other"}, all = {"*"};
    const Row rows[] = {
        // enabled, namespace listed
        {"listed, no key", true, shop, nullptr, nullptr, false, true, "namespace shop is listed"},
        {"listed, label true", true, shop, "true", nullptr, false, true, "label gopreflight.io/inject=true"},
        {"listed, label false opts out", true, shop, "false", nullptr, false, false, "=false opts out"},
        {"listed, annotation false opts out", true, shop, nullptr, "false", false, false, "annotation"},
        {"listed, annotation true", true, shop, nullptr, "true", false, true, "annotation gopreflight.io/inject=true"},
        {"listed, label wins over annotation", true, shop, "false", "true", false, false, "label"},
        {"listed, other value is no opinion", true, shop, "yes", nullptr, false, true, "is listed"},
        // enabled, "*"
        {"star, no key", true, all, nullptr, nullptr, false, true, "is listed"},
        {"star, label false", true, all, "false", nullptr, false, false, "opts out"},
        // enabled, not listed
        {"not listed, no key", true, other, nullptr, nullptr, false, false, "not listed"},
        {"empty list, no key", true, none, nullptr, nullptr, false, false, "not listed"},
        {"not listed, label true", true, other, "true", nullptr, false, true, "label"},
        {"not listed, annotation true", true, none, nullptr, "true", false, true, "annotation"},
        {"not listed, label false", true, other, "false", nullptr, false, false, "opts out"},
        // disabled: nothing, opt-in or not (the chart installs no mutating webhook then)
        {"disabled, listed", false, shop, nullptr, nullptr, false, false, "disabled"},
        {"disabled, star", false, all, nullptr, nullptr, false, false, "disabled"},
        {"disabled, label true", false, none, "true", nullptr, false, false, "disabled"},
        {"disabled, annotation true", false, shop, nullptr, "true", false, false, "disabled"},
        // Windows Pods are never injected
        {"windows, listed", true, shop, nullptr, nullptr, true, false, "windows"},
        {"windows, label true", true, none, "true", nullptr, true, false, "windows"},
        {"windows, star", true, all, nullptr, nullptr, true, false, "windows"},
    };
    for (const Row& r : rows) {
      CAPTURE(r.what);
      Injection inj;
      inj.enabled = r.enabled;
      inj.namespaces = r.namespaces;
      const json md = metadata_for(r), spec = spec_for(r);
      const mut::Selection s = mut::injection_selects(model_of(&md, &spec), "shop", inj);
      CHECK(s.selected == r.selected);
      CHECK(s.reason.find(r.reason) != std::string::npos);
      // The plan (what /mutate does and what the initCheck rule relies on) follows it.
      const mut::Plan p = mut::injection_plan(model_of(&md, &spec), "shop", inj);
      CHECK(p.error.empty());
      CHECK(p.inject == r.selected);
      // And /mutate patches exactly then.
      const json pod = {{"metadata", md}, {"spec", spec}};
      CHECK(mut::build_patch(model_of(pod), "shop", inj).patch.empty() == !r.selected);
    }
  }

  TEST_CASE("injection_plan: a selected Pod that cannot be patched is not counted as injected") {
    Injection inj;
    inj.enabled = true;
    inj.namespaces = {"shop"};
    const json md = {{"annotations", {{"gopreflight.io/app-container", "missing"}}}};
    const json spec = {{"containers", json::array({{{"name", "app"}}})}};
    mut::Plan p = mut::injection_plan(model_of(&md, &spec), "shop", inj);
    CHECK_FALSE(p.inject);
    CHECK(p.error.find("missing") != std::string::npos);

    const json has = {{"containers", json::array({{{"name", "app"}}})},
                      {"initContainers", json::array({{{"name", "gopreflight-check"}}})}};
    p = mut::injection_plan(model_of(nullptr, &has), "shop", inj);
    CHECK_FALSE(p.inject);
    CHECK(p.error.empty());
    CHECK(p.reason.find("already") != std::string::npos);

    const json ok = {{"containers", json::array({{{"name", "web"}}, {{"name", "app"}}})}};
    p = mut::injection_plan(model_of(nullptr, &ok), "shop", inj);
    CHECK(p.inject);
    CHECK(p.app == "web");
  }

  TEST_CASE("initCheck on a template follows injection_plan: opted-out, disabled and Windows templates are denied") {
    auto policy = std::make_shared<Policy>();
    policy->init_check = Policy::InitCheckRequired{};
    policy->injection.enabled = true;
    policy->injection.namespaces = {"shop"};
    const json base = json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "api", "namespace": "shop"},
      "spec": {"template": {"metadata": {"labels": {"app": "api"}},
                            "spec": {"containers": [{"name": "api", "image": "api:1"}]}}}})");
    RequestInfo info;
    info.ns = "shop";
    CHECK(Engine(policy).evaluate_object(base, info).allowed);  // injected later

    json out = base;
    out["spec"]["template"]["metadata"]["labels"]["gopreflight.io/inject"] = "false";
    ObjectDecision d = Engine(policy).evaluate_object(out, info);
    CHECK_FALSE(d.allowed);
    REQUIRE(d.violations.size() == 1);
    CHECK(d.violations[0].rule == "initCheck");
    CHECK(d.violations[0].path == "spec.template.spec.initContainers");

    json win = base;
    win["spec"]["template"]["spec"]["os"] = {{"name", "windows"}};
    CHECK_FALSE(Engine(policy).evaluate_object(win, info).allowed);

    auto star = std::make_shared<Policy>(*policy);
    star->injection.namespaces = {"*"};
    CHECK(Engine(star).evaluate_object(base, info).allowed);

    // A policy that requires another container name is not satisfied by the injected one.
    auto other_name = std::make_shared<Policy>(*policy);
    other_name->init_check->container_name = "preflight";
    CHECK_FALSE(Engine(other_name).evaluate_object(base, info).allowed);

    auto off = std::make_shared<Policy>(*policy);
    off->injection.enabled = false;
    json opted_in = base;
    opted_in["spec"]["template"]["metadata"]["labels"]["gopreflight.io/inject"] = "true";
    CHECK_FALSE(Engine(off).evaluate_object(opted_in, info).allowed);
  }

  TEST_CASE("gopreflight-check goes after native sidecars (restartPolicy: Always), else first") {
    CHECK(mut::init_container_index(init_containers_of(json::array())) == 0);
    CHECK(mut::init_container_index(init_containers_of(json::array({{{"name", "migrate"}}}))) == 0);
    const json inits = json::array({{{"name", "mesh"}, {"restartPolicy", "Always"}},
                                    {{"name", "migrate"}},
                                    {{"name", "db-proxy"}, {"restartPolicy", "Always"}},
                                    {{"name", "seed"}}});
    CHECK(mut::init_container_index(init_containers_of(inits)) == 3);

    Injection inj;
    inj.enabled = true;
    inj.namespaces = {"shop"};
    json pod = {{"metadata", {{"namespace", "shop"}}},
                {"spec", {{"containers", json::array({{{"name", "app"}}})}, {"initContainers", inits}}}};
    mut::PatchResult r = mut::build_patch(model_of(pod), "shop", inj);
    REQUIRE(r.error.empty());
    const json patched = pod.patch(r.patch);
    const json& got = patched.at("spec").at("initContainers");
    REQUIRE(got.size() == 5);
    CHECK(got[0].at("name") == "mesh");
    CHECK(got[1].at("name") == "migrate");
    CHECK(got[2].at("name") == "db-proxy");
    CHECK(got[3].at("name") == "gopreflight-check");
    CHECK(got[4].at("name") == "seed");

    // Only sidecars: appended at the end ("-").
    pod["spec"]["initContainers"] = json::array({{{"name", "mesh"}, {"restartPolicy", "Always"}}});
    r = mut::build_patch(model_of(pod), "shop", inj);
    REQUIRE(r.patch.size() == 1);
    CHECK(r.patch[0].at("path") == "/spec/initContainers/-");
    CHECK(pod.patch(r.patch).at("spec").at("initContainers")[1].at("name") == "gopreflight-check");

    // No sidecar: first, as before.
    pod["spec"]["initContainers"] = json::array({{{"name", "migrate"}}});
    r = mut::build_patch(model_of(pod), "shop", inj);
    REQUIRE(r.patch.size() == 1);
    CHECK(r.patch[0].at("path") == "/spec/initContainers/0");
  }
}

TEST_SUITE("rules") {
  TEST_CASE("injection.setUserIds: false leaves runAsUser to the platform (OpenShift restricted-v2)") {
    const char* base = "apiVersion: gopreflight.io/v1alpha1\nkind: Policy\ninjection:\n  enabled: true\n  namespaces: [shop]\n";
    auto defaults = parse_policy(base, "p.yaml");
    REQUIRE_MESSAGE(defaults.problems.empty(), join_problems(defaults.problems));
    CHECK(defaults.policy->injection.set_user_ids);
    auto off = parse_policy(std::string(base) + "  setUserIds: false\n", "p.yaml");
    REQUIRE_MESSAGE(off.problems.empty(), join_problems(off.problems));
    CHECK_FALSE(off.policy->injection.set_user_ids);
    auto bad = parse_policy(std::string(base) + "  setUserIds: maybe\n", "p.yaml");
    REQUIRE_FALSE(bad.problems.empty());
    CHECK(bad.problems[0].message.find("setUserIds") != std::string::npos);

    const json pod = json::parse(R"({"apiVersion": "v1", "kind": "Pod",
      "metadata": {"name": "api", "namespace": "shop"},
      "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
               "containers": [{"name": "api", "image": "api:1",
                               "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}})");
    for (bool set : {true, false}) {
      CAPTURE(set);
      Injection inj = off.policy->injection;
      inj.set_user_ids = set;
      const mut::PatchResult r = mut::build_patch(model_of(pod), "shop", inj);
      REQUIRE(r.error.empty());
      const json patched = pod.patch(r.patch);
      const json& sc = patched.at("spec").at("initContainers").at(0).at("securityContext");
      CHECK(sc.at("runAsNonRoot") == true);
      CHECK(sc.at("allowPrivilegeEscalation") == false);
      CHECK(sc.at("capabilities").at("drop") == json::array({"ALL"}));
      CHECK(sc.contains("runAsUser") == set);
      CHECK_FALSE(sc.contains("runAsGroup"));
      // Either way the patched Pod passes PSS restricted (the built-in policy's level).
      auto p = std::make_shared<Policy>();
      Policy::PodSecurity ps;
      ps.level = pss::Level::restricted;
      p->pod_security = ps;
      RequestInfo info;
      info.ns = "shop";
      const ObjectDecision d = Engine(p).evaluate_object(patched, info);
      CHECK_MESSAGE(d.allowed, (d.violations.empty() ? std::string() : d.violations[0].message));
    }
  }
}
