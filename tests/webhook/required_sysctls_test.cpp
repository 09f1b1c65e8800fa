// Rule 2 (requiredSysctls): table-driven on Pod sysctl lists.
#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace gp_test;

namespace {

RequiredSysctl req(std::string name, std::optional<long long> min, std::optional<long long> max,
                   std::optional<std::string> equals, Mode mode = Mode::enforce) {
  RequiredSysctl r;
  r.name = std::move(name);
  r.min = min;
  r.max = max;
  r.equals = std::move(equals);
  r.mode = mode;
  return r;
}

json with_sysctls(json list) { return pod_with_spec({{"securityContext", {{"sysctls", std::move(list)}}}}); }

}  // namespace

TEST_SUITE("rules") {
  TEST_CASE("requiredSysctls: equals is whitespace-normalised") {
    const std::vector<RequiredSysctl> policy = {req("net.ipv4.ip_local_port_range", {}, {}, "1024 65535")};
    struct Row {
      const char* value;
      bool ok;
    };
    const Row rows[] = {{"1024 65535", true},   {"1024  65535", true}, {" 1024\t65535 ", true},
                        {"1024 65000", false}, {"102465535", false},  {"", false}};
    for (const auto& r : rows) {
      CAPTURE(r.value);
      TestPod p(with_sysctls(json::array({{{"name", "net.ipv4.ip_local_port_range"}, {"value", r.value}}})));
      rules::Findings out;
      rules::required_sysctls(p.view, policy, out);
      CHECK(out.empty() == r.ok);
      if (!r.ok) {
        REQUIRE(out.size() == 1);
        CHECK(out[0].path == "spec.securityContext.sysctls[0].value");
        CHECK(out[0].fix == "set spec.securityContext.sysctls[0].value: \"1024 65535\"");
        CHECK(out[0].mode == "enforce");
        CHECK(out[0].rule == "requiredSysctls");
      }
    }
  }

  TEST_CASE("requiredSysctls: missing sysctl gives the exact line to add, with the template path") {
    json deploy = {{"spec", {{"template", {{"spec", {{"containers", json::array()}}}}}}}};
    const PodView v = workload_model(deploy);
    rules::Findings out;
    rules::required_sysctls(v, {req("net.ipv4.ip_local_port_range", {}, {}, "1024   65535")}, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].path == "spec.template.spec.securityContext.sysctls");
    CHECK(out[0].fix ==
          "add to spec.template.spec.securityContext.sysctls: {name: net.ipv4.ip_local_port_range, value: \"1024 65535\"}");
    CHECK(out[0].message.find("is not set") != std::string::npos);
  }

  TEST_CASE("requiredSysctls: min/max bounds are inclusive integers") {
    struct Row {
      std::optional<long long> min, max;
      const char* value;
      bool ok;
      const char* fix_value;
    };
    const Row rows[] = {
        {1024, {}, "1024", true, ""},       {1024, {}, "4096", true, ""},     {1024, {}, "128", false, "1024"},
        {{}, 30, "30", true, ""},           {{}, 30, "15", true, ""},         {{}, 30, "60", false, "30"},
        {10, 20, "15", true, ""},           {10, 20, "9", false, "10"},       {10, 20, "21", false, "10"},
        {1024, {}, "lots", false, "1024"},  {1024, {}, "1024 2048", false, "1024"}, {{}, 30, " 30 ", true, ""},
        {{}, 30, "-5", true, ""},           {1024, {}, "99999999999999999999", false, "1024"},
    };
    for (const auto& r : rows) {
      CAPTURE(r.value);
      TestPod p(with_sysctls(json::array({{{"name", "net.core.somaxconn"}, {"value", r.value}}})));
      rules::Findings out;
      rules::required_sysctls(p.view, {req("net.core.somaxconn", r.min, r.max, {}, Mode::warn)}, out);
      CHECK(out.empty() == r.ok);
      if (!r.ok) {
        REQUIRE(out.size() == 1);
        CHECK(out[0].mode == "warn");
        CHECK(out[0].fix == std::string("set spec.securityContext.sysctls[0].value: \"") + r.fix_value + "\"");
      }
    }
  }

  TEST_CASE("requiredSysctls: slash-separated names match, other entries are ignored, absent lists count as missing") {
    TestPod p(with_sysctls(json::array({{{"name", "kernel.shm_rmid_forced"}, {"value", "1"}},
                                        {{"name", "net/ipv4/tcp_fin_timeout"}, {"value", "60"}}})));
    rules::Findings out;
    rules::required_sysctls(p.view, {req("net.ipv4.tcp_fin_timeout", {}, 30, {})}, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].path == "spec.securityContext.sysctls[1].value");
    CHECK(out[0].message.find("is 60") != std::string::npos);

    TestPod none(pod_with_spec({{"containers", json::array()}}));
    rules::Findings out2;
    rules::required_sysctls(none.view,
                            {req("net.ipv4.tcp_fin_timeout", {}, 30, {}), req("net.ipv4.ip_local_port_range", {}, {}, "1 2")},
                            out2);
    CHECK(out2.size() == 2);
    rules::Findings out3;
    rules::required_sysctls(none.view, {}, out3);
    CHECK(out3.empty());
  }

  TEST_CASE("requiredSysctls: names compare as normalize_sysctl_name does, on either side") {
    // The policy may spell a name either way too; a dot inside a slash-separated segment stays a dot.
    TestPod p(with_sysctls(json::array({{{"name", "net/ipv4/conf/eno2.100/rp_filter"}, {"value", "1"}}})));
    for (const char* policy_name : {"net.ipv4.conf.eno2/100.rp_filter", "net/ipv4/conf/eno2.100/rp_filter"}) {
      rules::Findings out;
      rules::required_sysctls(p.view, {req(policy_name, {}, {}, "2")}, out);
      REQUIRE(out.size() == 1);
      CHECK(out[0].path == "spec.securityContext.sysctls[0].value");  // found, value wrong
    }
    for (const char* other : {"net.ipv4.conf.eno2.100.rp_filter", "net/ipv4/conf/eno2/100/rp_filter"}) {
      rules::Findings out;
      rules::required_sysctls(p.view, {req(other, {}, {}, "1")}, out);
      REQUIRE(out.size() == 1);
      CHECK(out[0].path == "spec.securityContext.sysctls");  // not found: same length, other name
    }
  }

  TEST_CASE("normalize helpers") {
    CHECK(rules::normalize_sysctl_name("net/ipv4/conf/eno2.100/rp_filter") == "net.ipv4.conf.eno2/100.rp_filter");
    CHECK(rules::normalize_sysctl_name("net.ipv4.conf.eno2/100.rp_filter") == "net.ipv4.conf.eno2/100.rp_filter");
    CHECK(rules::normalize_sysctl_name("kernel.sem") == "kernel.sem");
    CHECK(rules::normalize_whitespace("  a \t b\n") == "a b");
    CHECK(rules::normalize_whitespace("") == "");
  }
}
