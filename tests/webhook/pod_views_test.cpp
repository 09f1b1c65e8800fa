// Kind -> PodView paths, and the type check of fields the rules read.
#include <doctest/doctest.h>

#include "gopreflight/webhook/pod_views.hpp"
#include "helpers.hpp"

using namespace gp_test;

TEST_SUITE("pod_views") {
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
      auto e = extract_pod_view(r.object, r.kind);
      REQUIRE_MESSAGE(e, e.error);
      CHECK(e->view.spec_path == r.spec_path);
      CHECK(e->view.metadata_path == r.md_path);
      REQUIRE(e->view.spec != nullptr);
      CHECK(e->view.spec->contains("containers"));
      CHECK((*e->view.metadata)["labels"]["app"] == "x");
      CHECK(e->is_template == (std::string(r.kind) != "Pod"));
    }
  }

  TEST_CASE("missing or wrongly typed templates are errors naming the path") {
    CHECK(extract_pod_view(json{{"spec", json::object()}}, "Deployment").error ==
          "spec.template: missing; a Deployment needs a Pod template to be judged");
    CHECK(extract_pod_view(json{{"spec", {{"template", "x"}}}}, "Deployment").error ==
          "spec.template: expected an object, found string");
    CHECK(extract_pod_view(json{{"spec", {{"jobTemplate", json::array()}}}}, "CronJob").error ==
          "spec.jobTemplate: expected an object, found list");
    CHECK(extract_pod_view(json{{"spec", 5}}, "Pod").error == "spec: expected an object, found integer");
    CHECK(extract_pod_view(json{{"metadata", "x"}, {"spec", json::object()}}, "Pod").error ==
          "metadata: expected an object, found string");
    CHECK(extract_pod_view(json::object(), "Pod").error.find("spec: missing") == 0);
    CHECK(extract_pod_view(json::array(), "Pod").error == "object: expected an object, found list");
    CHECK(extract_pod_view(json::object(), "Service").error.find("kind \"Service\" is not a Pod") == 0);
    CHECK_FALSE(is_pod_kind("Service"));
    CHECK_FALSE(is_pod_kind("pod"));
    auto rc = extract_pod_view(json{{"spec", {{"replicas", 1}}}}, "ReplicationController");
    REQUIRE(rc);
    CHECK(rc->view.spec == nullptr);
  }

  TEST_CASE("check_pod_shape names the first wrongly typed field") {
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
        // Two wrong fields in an object smaller than its field list (the pass/fail pass walks its
        // members in key order): the message still names the first in field order.
        {{{"securityContext", {{"runAsGroup", "g"}, {"runAsUser", "u"}}}},
         "spec.securityContext.runAsUser: expected an integer, found string"},
        {{{"containers", json::array({{{"env", json::array({{{"valueFrom", 1}, {"name", 2}}})}}})}},
         "spec.containers[0].env[0].name: expected a string, found integer"},
    };
    for (const auto& r : rows) {
      CAPTURE(r.error);
      json obj = {{"spec", r.spec}};
      PodView v;
      v.spec = &obj["spec"];
      CHECK(check_pod_shape(v) == r.error);
    }
    json md = {{"annotations", {{"a", 1}}}};
    json spec = json::object();
    PodView v{&md, &spec, "spec.template.metadata", "spec.template.spec"};
    CHECK(check_pod_shape(v) == "spec.template.metadata.annotations.a: expected a string, found integer");
    // Nulls are absent fields; a fine Pod passes.
    json ok = {{"securityContext", nullptr}, {"containers", json::array({{{"name", "a"}, {"env", nullptr}, {"resources", {{"limits", {{"cpu", 1}}}}}}})}};
    json empty_md = json::object();
    PodView okv{&empty_md, &ok, "metadata", "spec"};
    CHECK(check_pod_shape(okv) == "");
    // Small objects with unchecked members, or checked ones set to null, pass.
    json small = {{"securityContext", {{"fsGroupChangePolicy", 1}, {"runAsUser", nullptr}}},
                  {"containers", json::array({{{"env", json::array({{{"name", "A"}, {"other", 1}}})}}})}};
    PodView smallv{&empty_md, &small, "metadata", "spec"};
    CHECK(check_pod_shape(smallv) == "");
  }

  TEST_CASE("list bounds are enforced") {
    json spec = {{"containers", json::array()}};
    for (std::size_t i = 0; i <= kMaxContainers; ++i) spec["containers"].push_back({{"name", "c"}});
    PodView v;
    v.spec = &spec;
    CHECK(check_pod_shape(v).find("spec.containers: has 513 entries; the engine reads at most 512") == 0);
  }
}
