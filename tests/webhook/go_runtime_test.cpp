// Rule 5 (goRuntime): memory limit, GOMEMLIMIT and GOMAXPROCS of Go containers.
#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace gp_test;

namespace {

json container(json limits, json env = json::array(), const char* name = "app") {
  json c = {{"name", name}, {"image", "example/app:1"}};
  if (!limits.is_null()) c["resources"] = {{"limits", std::move(limits)}};
  if (!env.empty()) c["env"] = std::move(env);
  return c;
}

json env1(const char* name, json value) {
  return json::array({{{"name", name}, {"value", std::move(value)}}});
}

rules::Findings run(json containers, json metadata = json::object(), Mode mode = Mode::enforce) {
  TestPod p(pod_with_spec({{"containers", std::move(containers)}}, std::move(metadata)));
  Policy::GoRuntime s;
  s.mode = mode;
  rules::Findings out;
  rules::go_runtime(p.view, s, out);
  return out;
}

}  // namespace

TEST_SUITE("rules") {
  TEST_CASE("goRuntime: GOMEMLIMIT against the memory limit") {
    struct Row {
      const char* limit;
      const char* gomemlimit;  // nullptr: unset
      const char* mode;        // expected mode of the single finding, "" for none
      const char* needle;
    };
    const Row rows[] = {
        {"1Gi", "900MiB", "", ""},
        {"1Gi", "1GiB", "", ""},  // equal is not above
        {"1Gi", "1073741824", "", ""},
        {"1Gi", "1073741825", "enforce", "above its memory limit"},
        {"1Gi", "2GiB", "enforce", "above its memory limit 1Gi (1073741824 bytes)"},
        {"512Mi", "1800MiB", "enforce", "\"461MiB\""},
        {"1G", "1GiB", "enforce", "above"},  // decimal G is smaller than GiB
        {"1.5Gi", "1536MiB", "", ""},
        {"1Gi", "1.5GiB", "enforce", "aborts at start-up"},
        {"1Gi", "900MB", "enforce", "not Go syntax"},
        {"1Gi", "off", "warn", "GOMEMLIMIT=off"},
        {"1Gi", nullptr, "warn", "does not set GOMEMLIMIT"},
        {"1Gi", "$(LIMIT)", "warn", "references other variables"},
    };
    for (const auto& r : rows) {
      CAPTURE(r.limit);
      CAPTURE(r.gomemlimit);
      json env = r.gomemlimit ? env1("GOMEMLIMIT", r.gomemlimit) : json::array();
      auto out = run(json::array({container({{"memory", r.limit}}, env)}));
      if (std::string(r.mode).empty()) {
        CHECK(out.empty());
        continue;
      }
      REQUIRE(out.size() == 1);
      CHECK(out[0].mode == r.mode);
      CHECK(out[0].rule == "goRuntime");
      CHECK((out[0].message + out[0].fix).find(r.needle) != std::string::npos);
    }
  }

  TEST_CASE("goRuntime: unset GOMEMLIMIT suggests 90% of the limit in Go syntax, at the env path") {
    auto out = run(json::array({container({{"memory", "1Gi"}})}));
    REQUIRE(out.size() == 1);
    CHECK(out[0].path == "spec.containers[0].env");
    CHECK(out[0].fix == "add to spec.containers[0].env: {name: GOMEMLIMIT, value: \"922MiB\"} (90% of 1Gi, rounded to the nearest MiB)");
    auto audit = run(json::array({container({{"memory", "1Gi"}})}), json::object(), Mode::audit);
    REQUIRE(audit.size() == 1);
    CHECK(audit[0].mode == "audit");
    // envFrom might set it: said so.
    json c = container({{"memory", "1Gi"}});
    c["envFrom"] = json::array({{{"configMapRef", {{"name", "go-env"}}}}});
    auto from = run(json::array({c}));
    REQUIRE(from.size() == 1);
    CHECK(from[0].message.find("envFrom") != std::string::npos);
  }

  TEST_CASE("goRuntime: memory limit required and must be a quantity") {
    auto none = run(json::array({container(nullptr)}));
    REQUIRE(none.size() == 1);
    CHECK(none[0].path == "spec.containers[0].resources.limits.memory");
    CHECK(none[0].mode == "enforce");
    CHECK(none[0].message.find("no memory limit") != std::string::npos);
    auto cpu_only = run(json::array({container({{"cpu", "1"}})}));
    REQUIRE(cpu_only.size() == 1);
    CHECK(cpu_only[0].check == "memoryLimit");
    auto garbage = run(json::array({container({{"memory", "lots"}})}));
    REQUIRE(garbage.size() == 1);
    CHECK(garbage[0].message.find("not a Kubernetes quantity") != std::string::npos);
    auto zero = run(json::array({container({{"memory", "0"}})}));
    REQUIRE(zero.size() == 1);
    CHECK(zero[0].message.find("positive") != std::string::npos);
    auto number = run(json::array({container({{"memory", 1073741824}}, env1("GOMEMLIMIT", "900MiB"))}));
    CHECK(number.empty());  // a YAML number is a quantity too
    auto warn_mode = run(json::array({container(nullptr)}), json::object(), Mode::warn);
    REQUIRE(warn_mode.size() == 1);
    CHECK(warn_mode[0].mode == "warn");
  }

  TEST_CASE("goRuntime: valueFrom cannot be judged, and says so") {
    json env = json::array({{{"name", "GOMEMLIMIT"},
                             {"valueFrom", {{"resourceFieldRef", {{"resource", "limits.memory"}}}}}}});
    auto out = run(json::array({container({{"memory", "1Gi"}}, env)}));
    REQUIRE(out.size() == 1);
    CHECK(out[0].mode == "warn");
    CHECK(out[0].path == "spec.containers[0].env[0].valueFrom");
    CHECK(out[0].message.find("cannot be judged") != std::string::npos);
  }

  TEST_CASE("goRuntime: the last GOMEMLIMIT entry wins") {
    json env = json::array({{{"name", "GOMEMLIMIT"}, {"value", "4GiB"}}, {{"name", "X"}, {"value", "1"}},
                            {{"name", "GOMEMLIMIT"}, {"value", "900MiB"}}});
    CHECK(run(json::array({container({{"memory", "1Gi"}}, env)})).empty());
  }

  TEST_CASE("goRuntime: GOMAXPROCS against the CPU limit, rounded up to whole CPUs") {
    struct Row {
      const char* cpu;
      const char* procs;
      bool warns;
    };
    const Row rows[] = {{"2", "2", false},     {"2", "3", true},       {"1500m", "2", false}, {"1500m", "3", true},
                        {"500m", "1", false},  {"500m", "2", true},    {"2", "0", true},      {"2", "two", true},
                        {"2", "-1", true},     {"4", "4", false},      {"0.5", "1", false}};
    for (const auto& r : rows) {
      CAPTURE(r.cpu);
      CAPTURE(r.procs);
      json env = json::array({{{"name", "GOMEMLIMIT"}, {"value", "900MiB"}}, {{"name", "GOMAXPROCS"}, {"value", r.procs}}});
      auto out = run(json::array({container({{"memory", "1Gi"}, {"cpu", r.cpu}}, env)}));
      CHECK(out.size() == (r.warns ? 1u : 0u));
      if (r.warns && !out.empty()) {
        CHECK(out[0].mode == "warn");
        CHECK(out[0].check == "GOMAXPROCS");
        CHECK(out[0].path == "spec.containers[0].env[1].value");
      }
    }
    // No CPU limit: nothing to compare.
    json env = json::array({{{"name", "GOMEMLIMIT"}, {"value", "900MiB"}}, {{"name", "GOMAXPROCS"}, {"value", "64"}}});
    CHECK(run(json::array({container({{"memory", "1Gi"}}, env)})).empty());
    // Malformed CPU limit with GOMAXPROCS set: reported.
    auto bad = run(json::array({container({{"memory", "1Gi"}, {"cpu", "fast"}}, env)}));
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].path == "spec.containers[0].resources.limits.cpu");
  }

  TEST_CASE("goRuntime: the annotation selects Go containers (containers and initContainers)") {
    const json no_limits = json::array({container(nullptr, json::array(), "app"), container(nullptr, json::array(), "envoy")});
    CHECK(run(no_limits).size() == 2);  // no annotation: all containers
    CHECK(run(no_limits, {{"annotations", {{"gopreflight.io/go-containers", "*"}}}}).size() == 2);
    auto only_app = run(no_limits, {{"annotations", {{"gopreflight.io/go-containers", " app "}}}});
    REQUIRE(only_app.size() == 1);
    CHECK(only_app[0].path == "spec.containers[0].resources.limits.memory");
    CHECK(run(no_limits, {{"annotations", {{"gopreflight.io/go-containers", ""}}}}).empty());
    auto typo = run(no_limits, {{"annotations", {{"gopreflight.io/go-containers", "app,ap"}}}});
    REQUIRE(typo.size() == 2);
    CHECK(typo[1].check == "goContainers");
    CHECK(typo[1].mode == "warn");
    CHECK(typo[1].path == "metadata.annotations[gopreflight.io/go-containers]");

    TestPod p(pod_with_spec({{"containers", json::array({container({{"memory", "1Gi"}}, env1("GOMEMLIMIT", "900MiB"))})},
                             {"initContainers", json::array({container(nullptr, json::array(), "migrate")})}},
                            {{"annotations", {{"gopreflight.io/go-containers", "migrate,app"}}}}));
    rules::Findings out;
    rules::go_runtime(p.view, Policy::GoRuntime{}, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].path == "spec.initContainers[0].resources.limits.memory");
  }
}
