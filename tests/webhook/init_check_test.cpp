// Rule 6 (initCheck): the gopreflight-check init container in selected namespaces.
#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace gp_test;

TEST_SUITE("rules") {
  TEST_CASE("initCheck: required in listed namespaces, satisfied by the named init container") {
    Policy::InitCheckRequired s;
    s.namespaces = {"shop"};
    TestPod without(pod_with_spec({{"containers", json::array({{{"name", "app"}}})},
                                   {"initContainers", json::array({{{"name", "migrate"}}})}}));
    TestPod with(pod_with_spec({{"containers", json::array({{{"name", "app"}}})},
                                {"initContainers", json::array({{{"name", "gopreflight-check"}}})}}));
    rules::Findings out;
    rules::init_check(without.view, s, "shop", out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].path == "spec.initContainers");
    CHECK(out[0].rule == "initCheck");
    CHECK(out[0].mode == "enforce");
    CHECK(out[0].message.find("gopreflight-check") != std::string::npos);
    out.clear();
    rules::init_check(with.view, s, "shop", out);
    CHECK(out.empty());
    rules::init_check(without.view, s, "other", out);  // namespace not selected
    CHECK(out.empty());
    s.namespaces.clear();  // all namespaces
    s.container_name = "preflight";
    s.mode = Mode::audit;
    rules::init_check(with.view, s, "anything", out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].mode == "audit");
    CHECK(out[0].check == "preflight");
  }
}
