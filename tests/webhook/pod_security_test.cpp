// Rule 1 (podSecurity): the adapter from pss::evaluate to findings (the checks are tested in tests/pss).
#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace gp_test;

TEST_SUITE("rules") {
  TEST_CASE("podSecurity: violations become findings with path, level/version tag and mode") {
    json spec = {{"containers", json::array({{{"name", "app"}, {"image", "x"}, {"securityContext", {{"privileged", true}}}}})}};
    json obj = {{"spec", {{"template", {{"metadata", json::object()}, {"spec", spec}}}}}};
    const PodView v = workload_model(obj);
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

  TEST_CASE("podSecurity: the fields the checks read are type-checked by the decoder, which names the path") {
    struct Row {
      const char* container_extra;  // members added to the container (JSON object)
      const char* pod_sc;           // spec.securityContext (JSON), or "null"
      const char* path;             // the path the decoder's error must name
    };
    const std::vector<Row> rows = {
        {R"({"securityContext":{"capabilities":{"drop":["ALL",3]}}})", "null",
         "spec.containers[0].securityContext.capabilities.drop[1]"},
        {R"({"securityContext":{"capabilities":{"drop":{"a":1}}}})", "null",
         "spec.containers[0].securityContext.capabilities.drop"},
        {R"({"securityContext":{"capabilities":{"drop":["ALL"],"add":"NET_RAW"}}})", "null",
         "spec.containers[0].securityContext.capabilities.add"},
        {R"({"readinessProbe":{"httpGet":[]}})", "null", "spec.containers[0].readinessProbe.httpGet"},
        {R"({"livenessProbe":{"tcpSocket":{"host":5}}})", "null", "spec.containers[0].livenessProbe.tcpSocket.host"},
        {R"({"lifecycle":{"preStop":{"httpGet":{"host":false}}}})", "null",
         "spec.containers[0].lifecycle.preStop.httpGet.host"},
        {R"({"ports":[{"containerPort":80},{"hostPort":"80"}]})", "null", "spec.containers[0].ports[1].hostPort"},
        {R"({"ports":[7]})", "null", "spec.containers[0].ports[0]"},
        {"{}", R"({"sysctls":["net.ipv4.tcp_syncookies"]})", "spec.securityContext.sysctls[0]"},
        {"{}", R"({"sysctls":[{"name":[]}]})", "spec.securityContext.sysctls[0].name"},
    };
    for (const auto& r : rows) {
      json c = {{"name", "app"}, {"image", "x"}};
      const json extra = json::parse(r.container_extra);
      for (const auto& [k, v] : extra.items()) c[k] = v;
      json spec = {{"containers", json::array({c})}};
      if (const json sc = json::parse(r.pod_sc); !sc.is_null()) spec["securityContext"] = sc;
      CAPTURE(r.path);
      const auto decoded = decode_pod_json(pod_with_spec(spec));
      REQUIRE_FALSE(decoded);
      CHECK(decoded.error().rfind(std::string(r.path) + ": expected ", 0) == 0);
    }
    // Allowed values build no report at all: a clean restricted Pod has no violation.
    const json clean = json::parse(R"({"name":"app","image":"x","ports":[{"containerPort":80}],
        "readinessProbe":{"httpGet":{"path":"/","port":80}},
        "securityContext":{"allowPrivilegeEscalation":false,"runAsNonRoot":true,
          "seccompProfile":{"type":"RuntimeDefault"},
          "capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}}})");
    TestPod ok(pod_with_spec({{"containers", json::array({clean})},
                              {"securityContext", json::parse(R"({"sysctls":[{"name":"net.ipv4.tcp_syncookies","value":"1"}]})")}}));
    CHECK(pss::evaluate(pss::Level::restricted, pss::Version{}, ok.view).empty());
  }
  TEST_CASE("podSecurity: an empty capabilities.drop list is reported as not dropping ALL, no list as dropping none") {
    const auto message = [](const json& caps) {
      json c = {{"name", "app"}, {"image", "x"}, {"securityContext", {{"capabilities", caps}}}};
      TestPod p(pod_with_spec({{"containers", json::array({c})}}));
      for (const auto& v : pss::evaluate(pss::Level::restricted, pss::Version{}, p.view)) {
        if (v.check_id == "capabilities_restricted") return v.message;
      }
      return std::string();
    };
    CHECK(message(json{{"drop", json::array()}}).find("does not drop ALL capabilities") != std::string::npos);
    CHECK(message(json::object()).find("drops no capabilities") != std::string::npos);
    CHECK(message(json{{"drop", nullptr}}).find("drops no capabilities") != std::string::npos);
    CHECK(message(json{{"drop", json::array({"ALL"})}}).empty());
  }
}
