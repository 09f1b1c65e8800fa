// Wrong JSON types never crash and never pass: the decoder refuses each once, at its path
// (eval_pod reports that as invalidType; the engine answers 400, so the Pod is never allowed).
#include <doctest/doctest.h>

#include "pss_test_util.hpp"

using namespace pss_test;

TEST_CASE("wrong JSON types are violations at their path") {
  struct Row {
    const char* name;
    const char* base;
    const char* patch;
    const char* level;
    std::vector<std::string> must_include;
  };
  const std::vector<Row> rows = {
      {"containers is a string", "minimal", R"([{"op":"replace","path":"/spec/containers","value":"app"}])", "baseline", {"invalidType@spec.containers"}},
      {"container is a number", "minimal", R"([{"op":"replace","path":"/spec/containers/0","value":5}])", "restricted", {"invalidType@spec.containers[0]"}},
      {"securityContext is a number", "restricted", R"([{"op":"replace","path":"/spec/containers/0/securityContext","value":7}])", "restricted", {"invalidType@spec.containers[0].securityContext"}},
      {"pod securityContext is an array", "restricted", R"([{"op":"replace","path":"/spec/securityContext","value":[]}])", "restricted", {"invalidType@spec.securityContext"}},
      {"privileged is a string", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"privileged":"true"}}])", "baseline", {"invalidType@spec.containers[0].securityContext.privileged"}},
      {"hostNetwork is a string", "minimal", R"([{"op":"add","path":"/spec/hostNetwork","value":"yes"}])", "baseline", {"invalidType@spec.hostNetwork"}},
      {"annotations is an array", "minimal", R"([{"op":"add","path":"/metadata/annotations","value":[]}])", "baseline", {"invalidType@metadata.annotations"}},
      {"apparmor annotation is a number", "minimal", R"([{"op":"add","path":"/metadata/annotations","value":{"container.apparmor.security.beta.kubernetes.io/app":1}}])", "baseline", {"invalidType@metadata.annotations.container.apparmor.security.beta.kubernetes.io/app"}},
      {"sysctls is an object", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":{}}}])", "baseline", {"invalidType@spec.securityContext.sysctls"}},
      {"sysctl name is a number", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"sysctls":[{"name":7}]}}])", "baseline", {"invalidType@spec.securityContext.sysctls[0].name"}},
      {"capability is a number", "minimal", R"([{"op":"add","path":"/spec/containers/0/securityContext","value":{"capabilities":{"add":[1]}}}])", "baseline", {"invalidType@spec.containers[0].securityContext.capabilities.add[0]"}},
      {"hostPort is a string", "minimal", R"([{"op":"add","path":"/spec/containers/0/ports","value":[{"hostPort":"80"}]}])", "baseline", {"invalidType@spec.containers[0].ports[0].hostPort"}},
      {"runAsUser is a float", "restricted", R"([{"op":"replace","path":"/spec/securityContext/runAsUser","value":0.5}])", "restricted", {"invalidType@spec.securityContext.runAsUser"}},
      {"runAsNonRoot is a string", "restricted", R"([{"op":"replace","path":"/spec/securityContext/runAsNonRoot","value":"true"}])", "restricted", {"invalidType@spec.securityContext.runAsNonRoot"}},
      {"volumes is an object", "restricted", R"([{"op":"replace","path":"/spec/volumes","value":{}}])", "restricted", {"invalidType@spec.volumes"}},
      {"volume is a string", "minimal", R"([{"op":"add","path":"/spec/volumes","value":["x"]}])", "baseline", {"invalidType@spec.volumes[0]"}},
      {"hostUsers is a string", "restricted", R"([{"op":"add","path":"/spec/hostUsers","value":"false"}])", "restricted", {"invalidType@spec.hostUsers"}},
      {"os is a string", "restricted", R"([{"op":"add","path":"/spec/os","value":"windows"}])", "restricted", {"invalidType@spec.os"}},
      {"probe is a list", "minimal", R"([{"op":"add","path":"/spec/containers/0/livenessProbe","value":[]}])", "baseline", {"invalidType@spec.containers[0].livenessProbe"}},
      {"seccomp type is a number", "minimal", R"([{"op":"add","path":"/spec/securityContext","value":{"seccompProfile":{"type":1}}}])", "baseline", {"invalidType@spec.securityContext.seccompProfile.type"}},
      {"spec is an array", "minimal", R"([{"op":"replace","path":"/spec","value":[]}])", "baseline", {"invalidType@spec"}},
      {"spec is null", "minimal", R"([{"op":"replace","path":"/spec","value":null}])", "baseline", {"invalidType@spec"}},
      {"metadata is a string", "minimal", R"([{"op":"replace","path":"/metadata","value":"x"}])", "baseline", {"invalidType@metadata"}},
  };
  const json restricted = load_fixture("restricted-pod.json");
  const json minimal = load_fixture("minimal-pod.json");
  for (const auto& r : rows) {
    const std::string name = r.name;
    CAPTURE(name);
    json pod = std::string(r.base) == "restricted" ? restricted : minimal;
    pod = pod.patch(json::parse(r.patch));
    const auto vs = eval_pod(pod, r.level, "latest");
    const auto got = keys(vs);
    for (const auto& want : r.must_include) {
      CHECK_MESSAGE(std::count(got.begin(), got.end(), want) == 1,
                    "want exactly one " << want << " in " << show(got));
    }
    for (const auto& v : vs) {
      CHECK_FALSE(v.message.empty());
      if (v.check_id == "invalidType")
        CHECK((v.message.find("wrong type") != std::string::npos ||
               v.message.find("missing") != std::string::npos));
    }
  }
}

TEST_CASE("a wrongly typed container is reported once, at its path, and the Pod is not judged further") {
  json pod = load_fixture("minimal-pod.json");
  pod["spec"]["containers"].push_back("garbage");
  pod["spec"]["containers"].push_back({{"name", "b"}, {"securityContext", {{"privileged", true}}}});
  const auto got = keys(eval_pod(pod, "baseline", "latest"));
  const std::vector<std::string> want = {"invalidType@spec.containers[1]"};
  CHECK(got == want);
}

TEST_CASE("privileged evaluates nothing, even garbage (PSA runs no checks there)") {
  json pod = {{"spec", "garbage"}};
  CHECK(eval_pod(pod, "privileged", "latest").empty());
  CHECK_FALSE(eval_pod(pod, "baseline", "latest").empty());
}

TEST_CASE("huge and odd inputs do not crash") {
  json pod = load_fixture("minimal-pod.json");
  json many = json::array();
  for (int i = 0; i < 512; ++i) many.push_back({{"name", "c" + std::to_string(i)}});
  pod["spec"]["containers"] = many;
  pod["spec"]["securityContext"]["runAsUser"] = 18446744073709551615ULL;  // above int64
  const auto vs = eval_pod(pod, "restricted", "latest");
  CHECK(vs.size() >= 512);  // every container lacks runAsNonRoot and friends
  for (const auto& v : vs) CHECK(v.check_id != "runAsUser");
  // Above the engine's bound on containers: refused with the path, not judged.
  many.push_back({{"name", "one-too-many"}});
  pod["spec"]["containers"] = many;
  CHECK(keys(eval_pod(pod, "restricted", "latest")) == std::vector<std::string>{"invalidType@spec.containers"});
}
