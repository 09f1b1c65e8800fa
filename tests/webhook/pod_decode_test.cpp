// The Pod model's decoder: kind -> Pod (template) paths, every field the engine reads with its
// type checked once (errors name the field path), list bounds, and the JSON document's limits.
#include <doctest/doctest.h>

#include "gopreflight/webhook/admission.hpp"
#include "gopreflight/webhook/pod_decode.hpp"
#include "gopreflight/webhook/json_reader.hpp"
#include "helpers.hpp"

using namespace gp_test;

namespace {

/// decode_pod of `object` as `kind`, through the same JSON document as /validate (the model owns
/// its values; the document goes with the result's JsonValues, which nothing here reads).
gopreflight::Result<DecodedPod> decode(const json& object, std::string_view kind) {
  auto doc = JsonDocument::read(object.dump());
  if (!doc) return gopreflight::fail(doc.error());
  auto pod = decode_pod((*doc)->root(), kind);
  if (pod) {
    pod->metadata.reset();
    pod->spec.reset();
  }
  return pod;
}

std::string decode_error(const json& object, std::string_view kind = "Pod") {
  auto d = decode(object, kind);
  return d ? std::string() : d.error();
}

}  // namespace

TEST_SUITE("pod_decode") {
  TEST_CASE("each kind's Pod template and its field paths") {
    const json tpl = {{"metadata", {{"labels", {{"app", "x"}}}}}, {"spec", {{"containers", json::array()}}}};
    struct Row {
      const char* kind;
      json object;
      const char* spec_path;
      const char* md_path;
    };
    const Row rows[] = {
        {"Pod", tpl, "spec", "metadata"},
        {"Deployment", {{"spec", {{"template", tpl}}}}, "spec.template.spec", "spec.template.metadata"},
        {"ReplicaSet", {{"spec", {{"template", tpl}}}}, "spec.template.spec", "spec.template.metadata"},
        {"StatefulSet", {{"spec", {{"template", tpl}}}}, "spec.template.spec", "spec.template.metadata"},
        {"DaemonSet", {{"spec", {{"template", tpl}}}}, "spec.template.spec", "spec.template.metadata"},
        {"Job", {{"spec", {{"template", tpl}}}}, "spec.template.spec", "spec.template.metadata"},
        {"ReplicationController", {{"spec", {{"template", tpl}}}}, "spec.template.spec", "spec.template.metadata"},
        {"CronJob", {{"spec", {{"jobTemplate", {{"spec", {{"template", tpl}}}}}}}},
         "spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.metadata"},
        {"PodTemplate", {{"template", tpl}}, "template.spec", "template.metadata"},
    };
    for (const auto& r : rows) {
      CAPTURE(r.kind);
      CHECK(is_pod_kind(r.kind));
      auto e = decode(r.object, r.kind);
      REQUIRE_MESSAGE(e, e.error());
      CHECK(e->view.spec_path == r.spec_path);
      CHECK(e->view.metadata_path == r.md_path);
      REQUIRE(e->view.has_spec);
      CHECK(e->view.metadata.labels.at("app") == "x");
      CHECK(e->is_template == (std::string(r.kind) != "Pod"));
    }
  }

  TEST_CASE("missing or wrongly typed templates are errors naming the path") {
    CHECK(decode_error(json{{"spec", json::object()}}, "Deployment") ==
          "spec.template: missing; a Deployment needs a Pod template to be judged");
    CHECK(decode_error(json{{"spec", {{"template", "x"}}}}, "Deployment") ==
          "spec.template: expected an object, found string");
    CHECK(decode_error(json{{"spec", {{"jobTemplate", json::array()}}}}, "CronJob") ==
          "spec.jobTemplate: expected an object, found list");
    CHECK(decode_error(json{{"spec", 5}}, "Pod") == "spec: expected an object, found integer");
    CHECK(decode_error(json{{"metadata", "x"}, {"spec", json::object()}}, "Pod") ==
          "metadata: expected an object, found string");
    CHECK(decode_error(json::object(), "Pod").find("spec: missing") == 0);
    CHECK(decode_error(json::array(), "Pod") == "object: expected an object, found list");
    CHECK(decode_error(json::object(), "Service").find("kind \"Service\" is not a Pod") == 0);
    CHECK_FALSE(is_pod_kind("Service"));
    CHECK_FALSE(is_pod_kind("pod"));
    auto rc = decode(json{{"spec", {{"replicas", 1}}}}, "ReplicationController");
    REQUIRE(rc);
    CHECK_FALSE(rc->view.has_spec);
  }

  TEST_CASE("the decoder names the path of a wrongly typed field") {
    struct Row {
      json spec;
      const char* error;
    };
    const Row rows[] = {
        {{{"containers", "app"}}, "spec.containers: expected a list, found string"},
        {{{"containers", json::array({5})}}, "spec.containers[0]: expected an object, found integer"},
        {{{"containers", json::array({{{"name", 5}}})}}, "spec.containers[0].name: expected a string, found integer"},
        {{{"containers", json::array({{{"env", json::array({{{"name", "A"}, {"value", 1}}})}}})}},
         "spec.containers[0].env[0].value: expected a string, found integer"},
        {{{"containers", json::array({{{"resources", {{"limits", {{"memory", true}}}}}}})}},
         "spec.containers[0].resources.limits.memory: expected a quantity (string or number), found boolean"},
        {{{"initContainers", json::array({{{"securityContext", {{"runAsUser", "0"}}}}})}},
         "spec.initContainers[0].securityContext.runAsUser: expected an integer, found string"},
        {{{"ephemeralContainers", json::array({{{"securityContext", {{"capabilities", {{"add", "ALL"}}}}}}})}},
         "spec.ephemeralContainers[0].securityContext.capabilities.add: expected a list, found string"},
        {{{"securityContext", {{"sysctls", json::array({{{"name", "a"}, {"value", 1}}})}}}},
         "spec.securityContext.sysctls[0].value: expected a string, found integer"},
        {{{"hostNetwork", "true"}}, "spec.hostNetwork: expected a boolean, found string"},
        {{{"securityContext", {{"runAsUser", 1.5}}}}, "spec.securityContext.runAsUser: expected an integer, found number"},
        {{{"securityContext", {{"seccompProfile", {{"type", 1}}}}}},
         "spec.securityContext.seccompProfile.type: expected a string, found integer"},
        {{{"volumes", json::object()}}, "spec.volumes: expected a list, found object"},
        {{{"containers", json::array({{{"ports", json::array({{{"hostPort", "80"}}})}}})}},
         "spec.containers[0].ports[0].hostPort: expected an integer, found string"},
        // Two wrong fields: the first in the document is named (here keys are in sorted order).
        {{{"securityContext", {{"runAsGroup", "g"}, {"runAsUser", "u"}}}},
         "spec.securityContext.runAsGroup: expected an integer, found string"},
        // Fields only the PSS checks read, and the injector's.
        {{{"containers", json::array({{{"name", "a"}, {"securityContext", {{"runAsUser", 0}}}},
                                      {{"name", "b"}, {"securityContext", {{"runAsUser", "0"}}}}})}},
         "spec.containers[1].securityContext.runAsUser: expected an integer, found string"},
        {{{"containers", json::array({{{"livenessProbe", {{"httpGet", {{"host", 5}}}}}}})}},
         "spec.containers[0].livenessProbe.httpGet.host: expected a string, found integer"},
        {{{"containers", json::array({{{"lifecycle", {{"preStop", json::array()}}}}})}},
         "spec.containers[0].lifecycle.preStop: expected an object, found list"},
        {{{"volumes", json::array({{{"name", 1}, {"hostPath", {{"path", "/"}}}}})}},
         "spec.volumes[0].name: expected a string, found integer"},
        {{{"volumes", json::array({"x"})}}, "spec.volumes[0]: expected an object, found string"},
        {{{"os", "windows"}}, "spec.os: expected an object, found string"},
        {{{"hostUsers", "false"}}, "spec.hostUsers: expected a boolean, found string"},
        {{{"containers", json::array({{{"securityContext", {{"windowsOptions", {{"hostProcess", "true"}}}}}}})}},
         "spec.containers[0].securityContext.windowsOptions.hostProcess: expected a boolean, found string"},
        {{{"containers", json::array({{{"env", json::array({{{"name", "A"}, {"valueFrom", "x"}}})}}})}},
         "spec.containers[0].env[0].valueFrom: expected an object, found string"},
        {{{"containers", json::array({nullptr})}}, "spec.containers[0]: expected an object, found null"},
        {{{"containers", json::array({{{"env", json::array({{{"valueFrom", 1}, {"name", 2}}})}}})}},
         "spec.containers[0].env[0].name: expected a string, found integer"},
    };
    for (const auto& r : rows) {
      CAPTURE(std::string(r.error));
      CHECK(decode_error(json{{"spec", r.spec}}) == std::string(r.error));
    }
    // The same paths inside a workload, from where its template sits.
    const json deploy = {{"spec", {{"template", {{"metadata", {{"annotations", {{"a", 1}}}}}, {"spec", json::object()}}}}}};
    CHECK(decode_error(deploy, "Deployment") == "spec.template.metadata.annotations.a: expected a string, found integer");
    const json deploy2 = {{"spec", {{"template", {{"spec", {{"containers", json::array({{{"name", "a"}},
        {{"name", "b"}, {"securityContext", {{"runAsUser", "1000"}}}}})}}}}}}}};
    CHECK(decode_error(deploy2, "Deployment") ==
          "spec.template.spec.containers[1].securityContext.runAsUser: expected an integer, found string");
    // Nulls are absent fields; a fine Pod decodes, with its values typed.
    json ok = {{"securityContext", nullptr},
               {"containers", json::array({{{"name", "a"}, {"env", nullptr}, {"resources", {{"limits", {{"cpu", 1}, {"memory", 1.5}}}}}}})}};
    auto d = decode(json{{"spec", ok}}, "Pod");
    REQUIRE_MESSAGE(d, d.error());
    CHECK_FALSE(d->view.spec.security_context);
    REQUIRE(d->view.spec.containers.size() == 1);
    CHECK(d->view.spec.containers[0].path == "spec.containers[0]");
    CHECK(d->view.spec.containers[0].limits.at("cpu") == "1");
    CHECK(d->view.spec.containers[0].limits.at("memory") == "1.5");
    CHECK_FALSE(d->view.spec.containers[0].has_env);
    // Members nothing reads are not checked, and checked ones set to null pass.
    json small = {{"securityContext", {{"fsGroupChangePolicy", 1}, {"runAsUser", nullptr}}},
                  {"containers", json::array({{{"env", json::array({{{"name", "A"}, {"other", 1}}})}}})}};
    CHECK(decode_error(json{{"spec", small}}) == "");
  }

  TEST_CASE("the model holds what the rules read: containers in their lists, security contexts, volumes, hosts") {
    const json pod = json::parse(R"({"metadata":{"name":"p","labels":{"app":"x"},"annotations":{"k":"v"}},
      "spec":{"hostNetwork":true,"os":{"name":"linux"},
        "securityContext":{"runAsUser":1000,"supplementalGroups":[1,2],"sysctls":[{"name":"net.x","value":"1"}]},
        "initContainers":[{"name":"mesh","restartPolicy":"Always"}],
        "containers":[{"name":"app","image":"i","env":[{"name":"A","value":"1"},{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"x"}}}],
          "ports":[{"containerPort":80,"hostPort":8080}],
          "securityContext":{"capabilities":{"add":["NET_ADMIN"],"drop":["ALL"]},"privileged":false,"seccompProfile":{"type":"RuntimeDefault"}},
          "readinessProbe":{"tcpSocket":{"host":"h"},"httpGet":{"host":""}},"lifecycle":{"preStop":{"httpGet":{"host":"g"}}}}],
        "ephemeralContainers":[{"name":"dbg"}],
        "volumes":[{"name":"v","hostPath":{"path":"/"},"emptyDir":null}]}})");
    auto d = decode(pod, "Pod");
    REQUIRE_MESSAGE(d, d.error());
    const PodView& v = d->view;
    CHECK(v.metadata.name == "p");
    CHECK(v.metadata.labels.at("app") == "x");
    CHECK(v.spec.host_network == true);
    CHECK(v.spec.os_name == "linux");
    REQUIRE(v.spec.security_context);
    CHECK(v.spec.security_context->run_as_user == 1000);
    CHECK(v.spec.security_context->supplemental_groups == std::vector<std::int64_t>{1, 2});
    CHECK(v.spec.security_context->sysctls.at(0).name == "net.x");
    CHECK(v.spec.init_containers.at(0).restart_policy == "Always");
    CHECK(v.spec.init_containers.at(0).path == "spec.initContainers[0]");
    CHECK(v.spec.ephemeral_containers.at(0).path == "spec.ephemeralContainers[0]");
    const Container& c = v.spec.containers.at(0);
    CHECK(c.env.at(0).value == "1");
    CHECK(c.env.at(1).value_from == R"({"fieldRef":{"fieldPath":"x"}})");
    CHECK(c.ports.at(0).host_port == 8080);
    REQUIRE(c.security_context);
    CHECK(c.security_context->capabilities->add == std::vector<std::string>{"NET_ADMIN"});
    CHECK(c.security_context->privileged == false);
    CHECK(c.security_context->seccomp_profile->type == "RuntimeDefault");
    REQUIRE(c.handler_hosts.size() == 2);  // the empty httpGet host is unset
    CHECK(c.handler_hosts[0].field == "readinessProbe");
    CHECK(c.handler_hosts[0].kind == "tcpSocket");
    CHECK(c.handler_hosts[1].field == "lifecycle.preStop");
    CHECK(c.handler_hosts[1].host == "g");
    CHECK(v.spec.volumes.at(0).host_path);
    CHECK(v.spec.volumes.at(0).types == std::vector<std::string>{"hostPath"});  // null emptyDir is unset
  }

  TEST_CASE("list bounds are enforced") {
    json spec = {{"containers", json::array()}};
    for (std::size_t i = 0; i <= kMaxContainers; ++i) spec["containers"].push_back({{"name", "c"}});
    CHECK(decode_error(json{{"spec", spec}}).find("spec.containers: has 513 entries; the engine reads at most 512") == 0);
  }

  TEST_CASE("the JSON document refuses duplicate keys, too deep and too large bodies") {
    // Duplicate keys anywhere, named with the path of their object.
    auto dup = JsonDocument::read(R"({"a":{"b":[{"x":1,"y":2,"x":3}]}})");
    REQUIRE_FALSE(dup);
    CHECK(dup.error() == "duplicate key \"x\" in a.b[0]");
    auto top = JsonDocument::read(R"({"k":1,"k":1})");
    REQUIRE_FALSE(top);
    CHECK(top.error() == "duplicate key \"k\" in the top object");
    std::string many = "{";
    for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\":1,";
    many += "\"k7\":2}";
    auto big = JsonDocument::read(many);
    REQUIRE_FALSE(big);
    CHECK(big.error() == "duplicate key \"k7\" in the top object");
    CHECK(JsonDocument::read(R"({"a":{"x":1},"b":{"x":1}})"));
    // Nesting: 256 levels are read, 257 are refused with read_json's text.
    const std::string ok = std::string(256, '[') + std::string(256, ']');
    CHECK(JsonDocument::read(ok));
    const std::string deep = std::string(257, '[') + std::string(257, ']');
    auto too_deep = JsonDocument::read(deep);
    REQUIRE_FALSE(too_deep);
    CHECK(too_deep.error().rfind("JSON nests deeper than 256 levels", 0) == 0);
    // Malformed JSON: the text names where, as read_json does.
    for (const std::string& bad : {std::string("{\"a\":tru}"), std::string("{\"a\":\"\xff\"}"), std::string("[1,]"),
                                  std::string("{\"a\":1} x"), std::string("{\"a\":\"\\q\"}"), std::string("4\0", 2),
                                  std::string("\xEF\xBB\xBF{\"a\":{\"ab:1}}")}) {
      CAPTURE(bad);
      auto r = JsonDocument::read(bad);
      REQUIRE_FALSE(r);
      CHECK(r.error() == read_json(bad).error());
    }
    // A review: the size limit, then the document's limits, as 400 texts.
    auto huge = read_admission_review(std::string(kMaxReviewBytes + 1, ' '));
    REQUIRE_FALSE(huge);
    CHECK(huge.error() == "AdmissionReview: body is 16777217 bytes; the limit is 16777216");
    auto dup_review = read_admission_review(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","kind":"AdmissionReview"})");
    REQUIRE_FALSE(dup_review);
    CHECK(dup_review.error() == "AdmissionReview: duplicate key \"kind\" in the top object");
    auto deep_review = read_admission_review(R"({"request":)" + deep + "}");
    REQUIRE_FALSE(deep_review);
    CHECK(deep_review.error().rfind("AdmissionReview: JSON nests deeper than 256 levels", 0) == 0);
  }
}
