// Engine::validate and evaluate_object: operations, subresources, UPDATE, exemptions, modes, bounds.
#include <doctest/doctest.h>

#include "gopreflight/webhook/admission.hpp"
#include "helpers.hpp"

using namespace gp_test;

namespace {

std::shared_ptr<Policy> test_policy() {
  auto p = std::make_shared<Policy>();
  Policy::PodSecurity ps;
  ps.level = pss::Level::baseline;
  p->pod_security = ps;
  RequiredSysctl port;
  port.name = "net.ipv4.ip_local_port_range";
  port.equals = "1024 65535";
  p->required_sysctls = {port};
  p->go_runtime = Policy::GoRuntime{};
  p->exemptions.namespaces = {"kube-system"};
  p->exemptions.usernames = {"admin"};
  p->exemptions.runtime_classes = {"gvisor"};
  return p;
}

json good_spec() {
  return json::parse(R"({
    "securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}]},
    "containers": [{"name": "app", "image": "example/app:1",
                    "resources": {"limits": {"memory": "1Gi", "cpu": "1"}},
                    "env": [{"name": "GOMEMLIMIT", "value": "900MiB"}]}]})");
}

json bad_spec() {  // no sysctl, no memory limit, privileged
  return json::parse(R"({"containers": [{"name": "app", "image": "example/app:1", "securityContext": {"privileged": true}}]})");
}

json make_pod(json spec, const char* ns = "shop", json labels = json::object()) {
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "p"}, {"namespace", ns}, {"labels", labels}}}, {"spec", spec}};
}

json make_request(const char* kind, json object, const char* op = "CREATE", json old = nullptr, const char* sub = "",
                  const char* user = "alice", const char* api = "admission.k8s.io/v1") {
  json req = {{"uid", "uid-1"},
              {"kind", {{"group", ""}, {"version", "v1"}, {"kind", kind}}},
              {"operation", op},
              {"namespace", "shop"},
              {"userInfo", {{"username", user}}},
              {"object", object},
              {"oldObject", old}};
  if (*sub) req["subResource"] = sub;
  return {{"apiVersion", api}, {"kind", "AdmissionReview"}, {"request", req}};
}

struct Result {
  ReviewOutcome out;
  json body;
};

Result validate(const Engine& e, const json& review) {
  Result r{e.validate(review.dump()), json()};
  REQUIRE_MESSAGE(r.out.http_status == 200, r.out.error);
  r.body = json::parse(r.out.body);
  CHECK(r.body["response"]["uid"] == review["request"]["uid"]);
  CHECK(r.body["apiVersion"] == review["apiVersion"]);
  CHECK(r.body["kind"] == "AdmissionReview");
  CHECK(r.body["response"]["allowed"] == r.out.allowed);
  return r;
}

}  // namespace

TEST_SUITE("engine") {
  TEST_CASE("CREATE: compliant allowed, violating denied with 403 and one line per violation") {
    Engine e(test_policy());
    auto ok = validate(e, make_request("Pod", make_pod(good_spec())));
    CHECK(ok.out.allowed);
    CHECK_FALSE(ok.body["response"].contains("status"));
    CHECK(ok.out.rules_hit.empty());

    auto bad = validate(e, make_request("Pod", make_pod(bad_spec())));
    CHECK_FALSE(bad.out.allowed);
    const auto& st = bad.body["response"]["status"];
    CHECK(st["code"] == 403);
    CHECK(st["reason"] == "Forbidden");
    const std::string msg = st["message"];
    CHECK(msg.find("gopreflight denied Pod shop/p: 3 violations") == 0);
    CHECK(msg.find("\n- spec.securityContext.sysctls: sysctl net.ipv4.ip_local_port_range is not set") != std::string::npos);
    CHECK(msg.find("(requiredSysctls); fix: add to spec.securityContext.sysctls: {name: net.ipv4.ip_local_port_range, value: \"1024 65535\"}") != std::string::npos);
    CHECK(msg.find("\n- spec.containers[0].securityContext.privileged: ") != std::string::npos);
    CHECK(msg.find("(podSecurity); fix: ") != std::string::npos);
    CHECK(msg.find("\n- spec.containers[0].resources.limits.memory: ") != std::string::npos);
    CHECK(bad.out.rules_hit == std::vector<std::string>{"podSecurity", "requiredSysctls", "goRuntime"});
    CHECK(bad.out.uid == "uid-1");
    CHECK(bad.out.kind == "Pod");
    CHECK(bad.out.ns == "shop");
    CHECK(bad.out.user == "alice");
    CHECK(bad.out.operation == "CREATE");
  }

  TEST_CASE("v1beta1 keeps its apiVersion; dryRun gets the same decision") {
    Engine e(test_policy());
    auto r = make_request("Pod", make_pod(bad_spec()), "CREATE", nullptr, "", "alice", "admission.k8s.io/v1beta1");
    auto beta = validate(e, r);
    CHECK(beta.body["apiVersion"] == "admission.k8s.io/v1beta1");
    CHECK_FALSE(beta.out.allowed);
    r["request"]["dryRun"] = true;
    auto dry = validate(e, r);
    CHECK(dry.body == beta.body);
  }

  TEST_CASE("DELETE and CONNECT are allowed; non-judged subresources are allowed") {
    Engine e(test_policy());
    auto del = make_request("Pod", nullptr, "DELETE", make_pod(bad_spec()));
    CHECK(validate(e, del).out.allowed);
    CHECK(validate(e, make_request("PodExecOptions", nullptr, "CONNECT", nullptr, "exec")).out.allowed);
    CHECK(validate(e, make_request("Pod", make_pod(bad_spec()), "UPDATE", make_pod(bad_spec()), "status")).out.allowed);
    CHECK(validate(e, make_request("Binding", json::object(), "CREATE", nullptr, "binding")).out.allowed);
    CHECK(validate(e, make_request("Scale", json::object(), "UPDATE", json::object(), "scale")).out.allowed);
  }

  TEST_CASE("Pod UPDATE: only significant changes are judged, sysctls are never re-denied") {
    Engine e(test_policy());
    json old_pod = make_pod(bad_spec());
    json relabel = make_pod(bad_spec(), "shop", {{"team", "x"}});
    CHECK(validate(e, make_request("Pod", relabel, "UPDATE", old_pod)).out.allowed);

    json new_image = make_pod(bad_spec());
    new_image["spec"]["containers"][0]["image"] = "example/app:2";
    auto r = validate(e, make_request("Pod", new_image, "UPDATE", old_pod));
    CHECK_FALSE(r.out.allowed);
    const std::string msg = r.body["response"]["status"]["message"];
    CHECK(msg.find("2 violations") != std::string::npos);  // privileged + memory limit, not the sysctl
    CHECK(msg.find("requiredSysctls") == std::string::npos);

    // Image update of a Pod whose only problem is its sysctls: allowed.
    json good_no_sysctl = make_pod(good_spec());
    good_no_sysctl["spec"]["securityContext"]["sysctls"] = json::parse(R"([{"name":"vm.max_map_count","value":"262144"}])");
    json updated = good_no_sysctl;
    updated["spec"]["containers"][0]["image"] = "example/app:2";
    CHECK(validate(e, make_request("Pod", updated, "UPDATE", good_no_sysctl)).out.allowed);
    // The same Pod on CREATE is denied for vm.max_map_count.
    auto create = validate(e, make_request("Pod", updated));
    CHECK_FALSE(create.out.allowed);
    CHECK(create.out.rules_hit == std::vector<std::string>{"podSecurity", "requiredSysctls", "unsettableSysctls"});
    // A changed per-container seccomp annotation is significant.
    json annotated = relabel;
    annotated["metadata"]["annotations"] = {{"container.seccomp.security.alpha.kubernetes.io/app", "unconfined"}};
    CHECK_FALSE(validate(e, make_request("Pod", annotated, "UPDATE", old_pod)).out.allowed);
  }

  TEST_CASE("pods/ephemeralcontainers: only the new ephemeral containers are judged") {
    Engine e(test_policy());
    json old_pod = make_pod(bad_spec());  // pre-existing violations are not re-judged
    json with_debug = old_pod;
    with_debug["spec"]["ephemeralContainers"] = json::parse(R"([{"name":"debug","image":"busybox","securityContext":{"privileged":true}}])");
    auto r = validate(e, make_request("Pod", with_debug, "UPDATE", old_pod, "ephemeralcontainers"));
    CHECK_FALSE(r.out.allowed);
    const std::string msg = r.body["response"]["status"]["message"];
    CHECK(msg.find("1 violation\n") != std::string::npos);
    CHECK(msg.find("- spec.ephemeralContainers[0].securityContext.privileged: ") != std::string::npos);
    json harmless = old_pod;
    harmless["spec"]["ephemeralContainers"] = json::parse(R"([{"name":"debug","image":"busybox"}])");
    CHECK(validate(e, make_request("Pod", harmless, "UPDATE", old_pod, "ephemeralcontainers")).out.allowed);
    // Adding a second one: the first (already admitted) is not judged again.
    json second = with_debug;
    second["spec"]["ephemeralContainers"].push_back(json::parse(R"({"name":"debug2","image":"busybox"})"));
    CHECK(validate(e, make_request("Pod", second, "UPDATE", with_debug, "ephemeralcontainers")).out.allowed);
  }

  TEST_CASE("pods/resize: only the Go rules are judged") {
    Engine e(test_policy());
    json old_pod = make_pod(good_spec());
    old_pod["spec"]["containers"][0]["securityContext"] = {{"privileged", true}};
    json shrunk = old_pod;
    shrunk["spec"]["containers"][0]["resources"]["limits"]["memory"] = "512Mi";  // GOMEMLIMIT 900MiB now above
    auto r = validate(e, make_request("Pod", shrunk, "UPDATE", old_pod, "resize"));
    CHECK_FALSE(r.out.allowed);
    CHECK(r.out.rules_hit == std::vector<std::string>{"goRuntime"});
    json grown = old_pod;
    grown["spec"]["containers"][0]["resources"]["limits"]["memory"] = "2Gi";
    CHECK(validate(e, make_request("Pod", grown, "UPDATE", old_pod, "resize")).out.allowed);
  }

  TEST_CASE("workload UPDATE: an unchanged template is allowed, a changed one judged in full") {
    Engine e(test_policy());
    json deploy = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "api"}, {"namespace", "shop"}}},
                   {"spec", {{"replicas", 2}, {"template", {{"metadata", {{"labels", {{"app", "api"}}}}}, {"spec", bad_spec()}}}}}};
    json scaled = deploy;
    scaled["spec"]["replicas"] = 5;
    CHECK(validate(e, make_request("Deployment", scaled, "UPDATE", deploy)).out.allowed);
    json changed = deploy;
    changed["spec"]["template"]["metadata"]["labels"]["v"] = "2";
    auto r = validate(e, make_request("Deployment", changed, "UPDATE", deploy));
    CHECK_FALSE(r.out.allowed);
    const std::string msg = r.body["response"]["status"]["message"];
    CHECK(msg.find("gopreflight denied Deployment shop/api: 3 violations") == 0);
    CHECK(msg.find("- spec.template.spec.securityContext.sysctls: ") != std::string::npos);  // sysctls judged on templates
    CHECK(msg.find("- spec.template.spec.containers[0].securityContext.privileged: ") != std::string::npos);
  }

  TEST_CASE("CronJob paths go through jobTemplate") {
    Engine e(test_policy());
    json cj = {{"apiVersion", "batch/v1"}, {"kind", "CronJob"}, {"metadata", {{"name", "nightly"}}},
               {"spec", {{"schedule", "@daily"},
                         {"jobTemplate", {{"spec", {{"template", {{"spec", bad_spec()}}}}}}}}}};
    auto d = e.evaluate_object(cj, RequestInfo{});
    CHECK(d.error.empty());
    CHECK_FALSE(d.allowed);
    REQUIRE(d.violations.size() == 3);
    CHECK(d.violations[1].path == "spec.jobTemplate.spec.template.spec.securityContext.sysctls");
    CHECK(d.violations[1].fix.find("add to spec.jobTemplate.spec.template.spec.securityContext.sysctls: ") == 0);
    CHECK(d.kind == "CronJob");
    CHECK(d.name == "nightly");
  }

  TEST_CASE("exemptions by namespace, username and runtimeClassName, reported in an audit annotation") {
    Engine e(test_policy());
    auto ns = validate(e, make_request("Pod", make_pod(bad_spec(), "kube-system")));
    CHECK(ns.out.allowed);
    CHECK(ns.body["response"]["auditAnnotations"]["exempt"] == "namespace kube-system");
    auto user = validate(e, make_request("Pod", make_pod(bad_spec()), "CREATE", nullptr, "", "admin"));
    CHECK(user.out.allowed);
    CHECK(user.body["response"]["auditAnnotations"]["exempt"] == "username admin");
    json spec = bad_spec();
    spec["runtimeClassName"] = "gvisor";
    auto rc = validate(e, make_request("Pod", make_pod(spec)));
    CHECK(rc.out.allowed);
    CHECK(rc.body["response"]["auditAnnotations"]["exempt"] == "runtimeClassName gvisor");
    // The exemption does not let an unreadable object through.
    json broken = make_pod(json{{"containers", 5}}, "kube-system");
    CHECK(e.validate(make_request("Pod", broken).dump()).http_status == 400);
  }

  TEST_CASE("modes: warn findings become warnings, audit findings audit annotations") {
    auto p = test_policy();
    p->pod_security->mode = Mode::warn;
    p->required_sysctls[0].mode = Mode::audit;
    p->go_runtime->mode = Mode::warn;
    Engine e(p);
    auto r = validate(e, make_request("Pod", make_pod(bad_spec())));
    CHECK(r.out.allowed);
    const auto& w = r.body["response"]["warnings"];
    REQUIRE(w.size() == 2);
    CHECK(w[0].get<std::string>().find("spec.containers[0].securityContext.privileged: ") == 0);
    CHECK(w[0].get<std::string>().find("; fix: ") != std::string::npos);
    CHECK(w[1].get<std::string>().find("spec.containers[0].resources.limits.memory: ") == 0);
    const auto& a = r.body["response"]["auditAnnotations"];
    REQUIRE(a.size() == 1);
    CHECK(a["audit-0"].get<std::string>().find("requiredSysctls: spec.securityContext.sysctls: ") == 0);
    CHECK(r.out.rules_hit == std::vector<std::string>{"podSecurity", "goRuntime"});
  }

  TEST_CASE("messages and warnings stay bounded") {
    auto p = test_policy();
    Engine e(p);
    json spec = {{"containers", json::array()}};
    for (int i = 0; i < 400; ++i)
      spec["containers"].push_back({{"name", "c" + std::to_string(i)}, {"image", "x"}, {"securityContext", {{"privileged", true}}}});
    auto r = validate(e, make_request("Pod", make_pod(spec)));
    const std::string msg = r.body["response"]["status"]["message"];
    CHECK(msg.size() <= 6144);
    CHECK(msg.find("more (run gopreflight-webhook review on the manifest for all)") != std::string::npos);
    CHECK(msg.find("801 violations") != std::string::npos);  // 400 privileged + 400 memory limits + 1 sysctl

    p->go_runtime->mode = Mode::warn;
    Engine w(p);
    auto rw = validate(w, make_request("Pod", make_pod(spec)));
    const auto& warnings = rw.body["response"]["warnings"];
    CHECK(warnings.size() == 20);
    CHECK(warnings[19].get<std::string>().find("gopreflight: 381 more warnings") == 0);
    for (const auto& x : warnings) CHECK(x.get<std::string>().size() <= 512);
  }

  TEST_CASE("evaluate_object: offline manifests, same rules; unreadable objects are errors, never allowed") {
    Engine e(test_policy());
    json deploy = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "api"}, {"namespace", "shop"}}},
                   {"spec", {{"template", {{"spec", good_spec()}}}}}};
    auto ok = e.evaluate_object(deploy, RequestInfo{});
    CHECK(ok.allowed);
    CHECK(ok.error.empty());
    CHECK(ok.ns == "shop");
    auto no_kind = e.evaluate_object(json{{"spec", good_spec()}}, RequestInfo{});
    CHECK_FALSE(no_kind.allowed);
    CHECK(no_kind.error == "kind: missing or not a string");
    auto svc = e.evaluate_object(json{{"kind", "Service"}}, RequestInfo{});
    CHECK_FALSE(svc.allowed);
    CHECK_FALSE(svc.error.empty());
    auto arr = e.evaluate_object(json::array(), RequestInfo{});
    CHECK_FALSE(arr.allowed);
    CHECK_FALSE(arr.error.empty());
    json wrong = deploy;
    wrong["spec"]["template"]["spec"]["containers"][0]["env"] = "GOMEMLIMIT=1";
    auto w = e.evaluate_object(wrong, RequestInfo{});
    CHECK_FALSE(w.allowed);
    CHECK(w.error == "spec.template.spec.containers[0].env: expected a list, found string");
    json gen = {{"kind", "Pod"}, {"metadata", {{"generateName", "api-"}}}, {"spec", good_spec()}};
    CHECK(e.evaluate_object(gen, RequestInfo{}).name == "api-*");
  }

  TEST_CASE("a default-constructed policy still runs rule 3") {
    Engine e(nullptr);
    json spec = good_spec();
    spec["securityContext"]["sysctls"].push_back({{"name", "vm.swappiness"}, {"value", "1"}});
    auto d = e.evaluate_object(make_pod(spec), RequestInfo{});
    CHECK_FALSE(d.allowed);
    REQUIRE(d.violations.size() == 1);
    CHECK(d.violations[0].rule == "unsettableSysctls");
  }
}
