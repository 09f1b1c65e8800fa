// Rule 1 (podSecurity): the adapter from pss::evaluate to findings (the checks are tested in tests/pss).
#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace gp_test;

TEST_SUITE("rules") {
  TEST_CASE("podSecurity: violations become findings with path, level/version tag and mode") {
    json spec = {{"containers", json::array({{{"name", "app"}, {"image", "x"}, {"securityContext", {{"privileged", true}}}}})}};
    json obj = {{"spec", {{"template", {{"metadata", json::object()}, {"spec", spec}}}}}};
    PodView v;
    v.metadata = &obj["spec"]["template"]["metadata"];
    v.spec = &obj["spec"]["template"]["spec"];
    v.metadata_path = "spec.template.metadata";
    v.spec_path = "spec.template.spec";
    Policy::PodSecurity ps;
    ps.level = pss::Level::baseline;
    ps.mode = Mode::warn;
    rules::Findings out;
    rules::pod_security(v, ps, out);
    const auto* f = find_path(out, "spec.template.spec.containers[0].securityContext.privileged");
    REQUIRE(f != nullptr);
    CHECK(f->rule == "podSecurity");
    CHECK(f->check == "privileged");
    CHECK(f->mode == "warn");
    CHECK(f->message.find("(baseline, latest)") != std::string::npos);
    CHECK_FALSE(f->fix.empty());

    ps.version = *pss::Version::parse("v1.30");
    out.clear();
    rules::pod_security(v, ps, out);
    REQUIRE_FALSE(out.empty());
    CHECK(out[0].message.find("(baseline, v1.30)") != std::string::npos);

    ps.level = pss::Level::privileged;
    out.clear();
    rules::pod_security(v, ps, out);
    CHECK(out.empty());
  }

  TEST_CASE("podSecurity: restricted finds what baseline allows") {
    TestPod p(pod_with_spec({{"containers", json::array({{{"name", "app"}, {"image", "x"}}})}}));
    Policy::PodSecurity ps;
    ps.level = pss::Level::baseline;
    rules::Findings base;
    rules::pod_security(p.view, ps, base);
    CHECK(base.empty());
    ps.level = pss::Level::restricted;
    rules::Findings restricted;
    rules::pod_security(p.view, ps, restricted);
    CHECK_FALSE(restricted.empty());
    for (const auto& f : restricted) CHECK(f.mode == "enforce");
  }
}
