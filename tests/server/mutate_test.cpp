// Injection of gopreflight-check: the JSONPatch applied to real Pod JSON, downward API env for
// the right container, idempotency, and the patched Pod judged by the engine at PSS restricted.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/admission.hpp"
#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/mutate.hpp"
#include "gopreflight/webhook/policy.hpp"

using nlohmann::json;
namespace gw = gopreflight::webhook;
namespace mut = gopreflight::webhook::mutate;

namespace {

json restricted_pod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "api-0", "namespace": "shop", "labels": {"app": "api"}},
    "spec": {
      "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
      "containers": [
        {"name": "sidecar", "image": "envoy:1",
         "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}},
        {"name": "api", "image": "shop/api:2",
         "env": [{"name": "GOMEMLIMIT", "value": "450MiB"}, {"name": "LOG", "value": "info"}],
         "resources": {"limits": {"memory": "512Mi", "cpu": "1500m"}},
         "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}
      ]
    }})");
}

gw::Injection injection_for(std::vector<std::string> namespaces) {
  gw::Injection inj;
  inj.enabled = true;
  inj.namespaces = std::move(namespaces);
  inj.image = "registry.example/gopreflight:1.2.3";
  inj.args = {"--only", "sysctl.*"};
  return inj;
}

const json* env_named(const json& container, const std::string& name) {
  for (const auto& e : container.at("env")) {
    if (e.at("name") == name) return &e;
  }
  return nullptr;
}

/// Applies build_patch's JSONPatch the way the apiserver does (RFC 6902).
json apply_patch(const json& pod, const gw::Injection& inj, std::string_view ns = "shop") {
  const mut::PatchResult r = mut::build_patch(pod, ns, inj);
  REQUIRE(r.error.empty());
  return r.patch.empty() ? pod : pod.patch(r.patch);
}

}  // namespace

TEST_CASE("injection puts gopreflight-check first with downward API env of the app container") {
  json pod = restricted_pod();
  pod["metadata"]["annotations"]["gopreflight.io/app-container"] = "api";
  pod["spec"]["initContainers"] = json::array({{{"name", "migrate"}, {"image", "shop/migrate:1"}}});
  const json patched = apply_patch(pod, injection_for({"shop"}));

  const json& inits = patched.at("spec").at("initContainers");
  REQUIRE(inits.size() == 2);
  const json& c = inits[0];
  CHECK(c.at("name") == "gopreflight-check");
  CHECK(inits[1].at("name") == "migrate");
  CHECK(c.at("image") == "registry.example/gopreflight:1.2.3");
  CHECK(c.at("args") == json::array({"--only", "sysctl.*"}));
  CHECK(c.at("terminationMessagePolicy") == "FallbackToLogsOnError");

  CHECK(env_named(c, "GOPREFLIGHT_APP_CONTAINER")->at("value") == "api");
  const json& mem = env_named(c, "GOPREFLIGHT_APP_MEMORY_LIMIT")->at("valueFrom").at("resourceFieldRef");
  CHECK(mem.at("containerName") == "api");
  CHECK(mem.at("resource") == "limits.memory");
  CHECK(mem.at("divisor") == "1");
  const json& cpu = env_named(c, "GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES")->at("valueFrom").at("resourceFieldRef");
  CHECK(cpu.at("containerName") == "api");
  CHECK(cpu.at("resource") == "limits.cpu");
  CHECK(cpu.at("divisor") == "1m");
  CHECK(env_named(c, "GOPREFLIGHT_APP_GOMEMLIMIT")->at("value") == "450MiB");
  CHECK(env_named(c, "GOPREFLIGHT_APP_GOMAXPROCS") == nullptr);  // the app does not set it

  const json& sc = c.at("securityContext");
  CHECK(sc.at("runAsNonRoot") == true);
  CHECK(sc.at("runAsUser") == 65532);
  CHECK(sc.at("allowPrivilegeEscalation") == false);
  CHECK(sc.at("readOnlyRootFilesystem") == true);
  CHECK(sc.at("capabilities").at("drop") == json::array({"ALL"}));
  CHECK(sc.at("seccompProfile").at("type") == "RuntimeDefault");
  CHECK(c.at("resources").at("limits").at("memory") == "32Mi");
  // The app containers themselves are untouched.
  CHECK(patched.at("spec").at("containers") == pod.at("spec").at("containers"));
}

TEST_CASE("the first container is the app by default; no limit is passed as the literal unlimited") {
  json pod = restricted_pod();
  const json patched = apply_patch(pod, injection_for({"shop"}));
  const json& c = patched.at("spec").at("initContainers").at(0);  // array created when absent
  CHECK(patched.at("spec").at("initContainers").size() == 1);
  CHECK(env_named(c, "GOPREFLIGHT_APP_CONTAINER")->at("value") == "sidecar");
  CHECK(env_named(c, "GOPREFLIGHT_APP_MEMORY_LIMIT")->at("value") == "unlimited");
  CHECK(env_named(c, "GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES")->at("value") == "unlimited");
  CHECK(env_named(c, "GOPREFLIGHT_APP_GOMEMLIMIT") == nullptr);
}

TEST_CASE("mutating the patched Pod again changes nothing (reinvocation safe)") {
  const gw::Injection inj = injection_for({"shop"});
  json pod = restricted_pod();
  const json once = apply_patch(pod, inj);
  REQUIRE(once != pod);
  const mut::PatchResult again = mut::build_patch(once, "shop", inj);
  CHECK(again.error.empty());
  CHECK(again.patch.empty());

  gw::Injection go = inj;
  go.set_go_env = true;
  const json go_once = apply_patch(pod, go);
  CHECK(mut::build_patch(go_once, "shop", go).patch.empty());
}

TEST_CASE("selection: namespace list, opt-in label or annotation, opt-out, disabled") {
  const json pod = restricted_pod();
  gw::Injection inj = injection_for({"payments"});
  CHECK(mut::build_patch(pod, "shop", inj).patch.empty());
  CHECK_FALSE(mut::build_patch(pod, "payments", inj).patch.empty());

  json labelled = pod;
  labelled["metadata"]["labels"]["gopreflight.io/inject"] = "true";
  CHECK(mut::select_pod(labelled, "shop", inj).selected);
  json annotated = pod;
  annotated["metadata"]["annotations"]["gopreflight.io/inject"] = "true";
  CHECK(mut::select_pod(annotated, "shop", inj).selected);
  inj.enabled = false;
  CHECK_FALSE(mut::select_pod(annotated, "shop", inj).selected);  // disabled: nothing, opt-in or not
  CHECK_FALSE(mut::select_pod(pod, "payments", inj).selected);

  inj.enabled = true;
  json opted_out = pod;
  opted_out["metadata"]["labels"]["gopreflight.io/inject"] = "false";
  CHECK_FALSE(mut::select_pod(opted_out, "payments", inj).selected);

  json windows = pod;
  windows["spec"]["os"] = {{"name", "windows"}};
  CHECK(mut::build_patch(windows, "payments", inj).patch.empty());
}

TEST_CASE("set_go_env adds GOMEMLIMIT (90%) and GOMAXPROCS (ceil) only where missing") {
  gw::Injection inj = injection_for({"shop"});
  inj.set_go_env = true;
  json pod = restricted_pod();
  pod["metadata"]["annotations"]["gopreflight.io/app-container"] = "api";
  const json patched = apply_patch(pod, inj);
  const json& api = patched.at("spec").at("containers").at(1);
  CHECK(env_named(api, "GOMEMLIMIT")->at("value") == "450MiB");  // kept: it was set
  CHECK(env_named(api, "GOMAXPROCS")->at("value") == "2");        // ceil(1.5)
  CHECK(patched.at("spec").at("containers").at(0).contains("env") == false);  // sidecar: no limits
  // The init container sees the app's final GOMAXPROCS.
  const json& c = patched.at("spec").at("initContainers").at(0);
  CHECK(env_named(c, "GOPREFLIGHT_APP_GOMAXPROCS")->at("value") == "2");

  json no_env = restricted_pod();
  no_env["spec"]["containers"][1].erase("env");
  const json p2 = apply_patch(no_env, inj);
  CHECK(env_named(p2.at("spec").at("containers").at(1), "GOMEMLIMIT")->at("value") == "461MiB");
}

TEST_CASE("unreadable Pods are never patched: the error names the field") {
  const gw::Injection inj = injection_for({"shop"});
  json pod = restricted_pod();
  pod["spec"]["containers"] = "api";
  auto r = mut::build_patch(pod, "shop", inj);
  CHECK(r.patch.empty());
  CHECK(r.error.find("spec.containers") != std::string::npos);

  json bad_init = restricted_pod();
  bad_init["spec"]["initContainers"] = json::object();
  r = mut::build_patch(bad_init, "shop", inj);
  CHECK(r.patch.empty());
  CHECK(r.error.find("spec.initContainers") != std::string::npos);

  json missing_app = restricted_pod();
  missing_app["metadata"]["annotations"]["gopreflight.io/app-container"] = "nope";
  r = mut::build_patch(missing_app, "shop", inj);
  CHECK(r.patch.empty());
  CHECK(r.error.find("nope") != std::string::npos);

  CHECK_FALSE(mut::build_patch(json::array(), "shop", inj).error.empty());
}

TEST_CASE("quantities, Go values, base64 and nesting depth") {
  CHECK(mut::quantity_bytes("512Mi") == 536870912);
  CHECK(mut::quantity_bytes("1.5Gi") == 1610612736);
  CHECK(mut::quantity_bytes("1e3") == 1000);
  CHECK(mut::quantity_bytes("128974848") == 128974848);
  CHECK(mut::quantity_bytes("1G") == 1000000000);
  CHECK_FALSE(mut::quantity_bytes("12parsecs").has_value());
  CHECK_FALSE(mut::quantity_bytes("").has_value());
  CHECK(mut::quantity_millicores("500m") == 500);
  CHECK(mut::quantity_millicores("2") == 2000);
  CHECK(mut::quantity_millicores("0.1") == 100);
  CHECK(mut::gomemlimit_value(536870912, 0.9) == "461MiB");  // 460.8 MiB, nearest
  CHECK(mut::gomemlimit_value(1000, 0.9) == "900");
  CHECK(mut::gomaxprocs_value(1500) == "2");
  CHECK(mut::gomaxprocs_value(100) == "1");
  CHECK(mut::base64_encode("") == "");
  CHECK(mut::base64_encode("f") == "Zg==");
  CHECK(mut::base64_encode("fo") == "Zm8=");
  CHECK(mut::base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("Engine::mutate: AdmissionReview with a base64 JSONPatch, only for Pod CREATE") {
  auto policy = std::make_shared<gw::Policy>();
  policy->injection = injection_for({"shop"});
  const gw::Engine engine(policy);
  json review = {{"apiVersion", "admission.k8s.io/v1"},
                 {"kind", "AdmissionReview"},
                 {"request",
                  {{"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
                   {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
                   {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
                   {"namespace", "shop"},
                   {"operation", "CREATE"},
                   {"userInfo", {{"username", "system:serviceaccount:kube-system:replicaset-controller"}}},
                   {"object", restricted_pod()}}}};
  auto out = engine.mutate(review.dump());
  REQUIRE(out.http_status == 200);
  json resp = json::parse(out.body);
  CHECK(resp.at("apiVersion") == "admission.k8s.io/v1");
  CHECK(resp.at("response").at("uid") == "705ab4f5-6393-11e8-b7cc-42010a800002");
  CHECK(resp.at("response").at("allowed") == true);
  CHECK(resp.at("response").at("patchType") == "JSONPatch");
  CHECK(out.rules_hit == std::vector<std::string>{"injection"});
  CHECK(out.user == "system:serviceaccount:kube-system:replicaset-controller");

  json update = review;
  update["request"]["operation"] = "UPDATE";
  json r2 = json::parse(engine.mutate(update.dump()).body);
  CHECK(r2.at("response").at("allowed") == true);
  CHECK_FALSE(r2.at("response").contains("patch"));

  json deploy = review;
  deploy["apiVersion"] = "admission.k8s.io/v1beta1";
  deploy["request"]["kind"] = {{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}};
  json r3 = json::parse(engine.mutate(deploy.dump()).body);
  CHECK(r3.at("apiVersion") == "admission.k8s.io/v1beta1");
  CHECK_FALSE(r3.at("response").contains("patch"));

  json broken_pod = review;
  broken_pod["request"]["object"]["spec"]["containers"] = 7;
  auto r4 = engine.mutate(broken_pod.dump());
  CHECK(r4.http_status == 200);
  json j4 = json::parse(r4.body);
  CHECK(j4.at("response").at("allowed") == true);  // mutation never denies
  CHECK_FALSE(j4.at("response").contains("patch"));
  CHECK(j4.at("response").at("warnings").at(0).get<std::string>().find("spec.containers") != std::string::npos);

  for (const std::string& bad : {std::string("{"), std::string("[]"), std::string("{\"kind\":\"AdmissionReview\"}"),
                                std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":5}})"),
                                std::string(100000, '[')}) {
    auto r = engine.mutate(bad);
    CHECK(r.http_status == 400);
    CHECK_FALSE(r.error.empty());
  }
  // Nesting is limited while reading (256 levels, the same reading step as /validate), however the
  // rest of the body looks.
  CHECK(engine.mutate(std::string(100000, '[')).error.rfind("AdmissionReview: JSON nests deeper than 256 levels", 0) == 0);
  CHECK(engine.mutate(std::string(gw::kMaxReviewBytes + 1, ' ')).error.find("the limit is") != std::string::npos);
  CHECK(engine.mutate("{\"a\":\"\xff\"}").error ==
        "AdmissionReview: not valid JSON: line 1, column 7 (byte 6): ill-formed UTF-8 byte 0xff in a string");
}

TEST_CASE("the patched Pod passes PSS restricted (latest) as the engine judges it") {
  auto policy = std::make_shared<gw::Policy>();
  policy->pod_security = gw::Policy::PodSecurity{};  // restricted, latest, enforce
  const gw::Engine engine(policy);
  const json pod = restricted_pod();
  const gw::ObjectDecision before = engine.evaluate_object(pod, gw::RequestInfo{});
  REQUIRE_MESSAGE(before.error.empty(), before.error);
  REQUIRE(before.allowed);  // the fixture itself is restricted-clean

  const json patched = apply_patch(pod, injection_for({"shop"}));
  const gw::ObjectDecision after = engine.evaluate_object(patched, gw::RequestInfo{});
  CHECK_MESSAGE(after.error.empty(), after.error);
  std::string found;
  for (const auto& v : after.violations) found += v.path + ": " + v.message + "\n";
  CHECK_MESSAGE(after.violations.empty(), found);
  CHECK(after.allowed);

  // The check is not vacuous: the same container without its securityContext is denied.
  json weakened = patched;
  weakened["spec"]["initContainers"][0].erase("securityContext");
  const gw::ObjectDecision weak = engine.evaluate_object(weakened, gw::RequestInfo{});
  CHECK_FALSE(weak.allowed);
  bool names_init = false;
  for (const auto& v : weak.violations) names_init |= v.path.find("spec.initContainers[0]") != std::string::npos;
  CHECK(names_init);
}
