// Rule 4 (securityContext): configurable fields, pod-level defaults, every container list.
#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace gp_test;

namespace {

Policy::SecurityContextRule strict() {
  Policy::SecurityContextRule s;
  s.read_only_root_filesystem = true;
  s.run_as_non_root = true;
  s.allow_privilege_escalation = false;
  s.run_as_user_min = 1000;
  s.run_as_user_max = 65535;
  s.run_as_group_min = 1000;
  return s;
}

json good_sc() {
  return {{"readOnlyRootFilesystem", true}, {"allowPrivilegeEscalation", false}, {"runAsNonRoot", true},
          {"runAsUser", 1000}, {"runAsGroup", 1000}};
}

}  // namespace

TEST_SUITE("rules") {
  TEST_CASE("securityContext: a compliant Pod passes; each field is reported at its own path") {
    TestPod ok(pod_with_spec({{"containers", json::array({{{"name", "app"}, {"securityContext", good_sc()}}})}}));
    rules::Findings none;
    rules::security_context(ok.view, strict(), none);
    CHECK(none.empty());

    TestPod bad(pod_with_spec({{"containers", json::array({{{"name", "app"}}})}}));
    rules::Findings out;
    rules::security_context(bad.view, strict(), out);
    const auto* rofs = find_path(out, "spec.containers[0].securityContext.readOnlyRootFilesystem");
    const auto* ape = find_path(out, "spec.containers[0].securityContext.allowPrivilegeEscalation");
    const auto* nonroot = find_path(out, "spec.containers[0].securityContext.runAsNonRoot");
    const auto* user = find_path(out, "spec.containers[0].securityContext.runAsUser");
    const auto* group = find_path(out, "spec.containers[0].securityContext.runAsGroup");
    REQUIRE(rofs != nullptr);
    REQUIRE(ape != nullptr);
    REQUIRE(nonroot != nullptr);
    REQUIRE(user != nullptr);
    REQUIRE(group != nullptr);
    CHECK(out.size() == 5);
    CHECK(rofs->fix == "set spec.containers[0].securityContext.readOnlyRootFilesystem: true");
    CHECK(ape->fix == "set spec.containers[0].securityContext.allowPrivilegeEscalation: false");
    CHECK(message_has(user, "image decides"));
    CHECK(user->fix.find(": 1000") != std::string::npos);
    for (const auto& f : out) CHECK(f.mode == "enforce");
  }

  TEST_CASE("securityContext: pod-level defaults apply unless the container overrides them") {
    auto s = strict();
    s.read_only_root_filesystem.reset();
    s.allow_privilege_escalation.reset();
    // Pod says non-root 2000: container inherits.
    TestPod inherit(pod_with_spec({{"securityContext", {{"runAsNonRoot", true}, {"runAsUser", 2000}, {"runAsGroup", 2000}}},
                                   {"containers", json::array({{{"name", "a"}}})}}));
    rules::Findings out;
    rules::security_context(inherit.view, s, out);
    CHECK(out.empty());
    // Pod-level value out of range: reported at the pod-level path.
    TestPod pod_bad(pod_with_spec({{"securityContext", {{"runAsNonRoot", true}, {"runAsUser", 70000}, {"runAsGroup", 10}}},
                                   {"containers", json::array({{{"name", "a"}}})}}));
    rules::Findings out2;
    rules::security_context(pod_bad.view, s, out2);
    CHECK(find_path(out2, "spec.securityContext.runAsUser") != nullptr);
    CHECK(find_path(out2, "spec.securityContext.runAsGroup") != nullptr);
    CHECK(out2.size() == 2);
    // Container overrides the bad pod-level value: passes.
    TestPod override_ok(pod_with_spec(
        {{"securityContext", {{"runAsNonRoot", false}, {"runAsUser", 0}, {"runAsGroup", 0}}},
         {"containers", json::array({{{"name", "a"},
                                      {"securityContext", {{"runAsNonRoot", true}, {"runAsUser", 1001}, {"runAsGroup", 1001}}}}})}}));
    rules::Findings out3;
    rules::security_context(override_ok.view, s, out3);
    CHECK(out3.empty());
    // Pod-level runAsNonRoot false, container unset: reported at the pod path.
    TestPod pod_false(pod_with_spec({{"securityContext", {{"runAsNonRoot", false}, {"runAsUser", 1000}, {"runAsGroup", 1000}}},
                                     {"containers", json::array({{{"name", "a"}}})}}));
    rules::Findings out4;
    rules::security_context(pod_false.view, s, out4);
    REQUIRE(out4.size() == 1);
    CHECK(out4[0].path == "spec.securityContext.runAsNonRoot");
  }

  TEST_CASE("securityContext: runAsUser 0 contradicts runAsNonRoot") {
    Policy::SecurityContextRule s;
    s.run_as_non_root = true;
    TestPod p(pod_with_spec({{"securityContext", {{"runAsNonRoot", true}}},
                             {"containers", json::array({{{"name", "a"}, {"securityContext", {{"runAsUser", 0}}}}})}}));
    rules::Findings out;
    rules::security_context(p.view, s, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].path == "spec.containers[0].securityContext.runAsUser");
    CHECK(out[0].message.find("refuses") != std::string::npos);
  }

  TEST_CASE("securityContext: initContainers and ephemeralContainers are checked, with the template path") {
    Policy::SecurityContextRule s;
    s.read_only_root_filesystem = true;
    s.mode = Mode::warn;
    json spec = {{"containers", json::array({{{"name", "a"}, {"securityContext", {{"readOnlyRootFilesystem", true}}}}})},
                 {"initContainers", json::array({{{"name", "i"}}})},
                 {"ephemeralContainers", json::array({{{"name", "dbg"}, {"securityContext", {{"readOnlyRootFilesystem", false}}}}})}};
    json obj = {{"spec", {{"template", {{"metadata", json::object()}, {"spec", spec}}}}}};
    const PodView v = workload_model(obj);
    rules::Findings out;
    rules::security_context(v, s, out);
    REQUIRE(out.size() == 2);
    CHECK(out[0].path == "spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem");
    CHECK(out[1].path == "spec.template.spec.ephemeralContainers[0].securityContext.readOnlyRootFilesystem");
    CHECK(out[1].message.find("false") != std::string::npos);
    CHECK(out[0].mode == "warn");
  }

  TEST_CASE("securityContext: settings left unset or permissive require nothing; Windows Pods are skipped") {
    Policy::SecurityContextRule loose;
    loose.read_only_root_filesystem = false;
    loose.allow_privilege_escalation = true;
    loose.run_as_non_root = false;
    TestPod p(pod_with_spec({{"containers", json::array({{{"name", "a"}}})}}));
    rules::Findings out;
    rules::security_context(p.view, loose, out);
    CHECK(out.empty());
    TestPod win(pod_with_spec({{"os", {{"name", "windows"}}}, {"containers", json::array({{{"name", "a"}}})}}));
    rules::Findings out2;
    rules::security_context(win.view, strict(), out2);
    CHECK(out2.empty());
  }
}
