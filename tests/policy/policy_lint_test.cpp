// `policy lint` contradictions: requirements no Pod can meet.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gopreflight/webhook/policy_io.hpp"

using namespace gopreflight::webhook;

namespace {

std::vector<std::string> lint(const std::string& body) {
  auto r = parse_policy("apiVersion: gopreflight.io/v1alpha1\nkind: Policy\n" + body, "p.yaml");
  INFO(join_problems(r.problems));
  REQUIRE(r.policy);
  std::vector<std::string> out;
  for (const auto& p : lint_policy(*r.policy, r.marks)) out.push_back(p.str());
  return out;
}

}  // namespace

TEST_SUITE("policy_lint") {
  TEST_CASE("contradictions.yaml: every contradiction, positioned") {
    auto r = load_policy_file(GP_POLICY_TESTDATA "/contradictions.yaml");
    REQUIRE(r.policy);
    const auto got = lint_policy(*r.policy, r.marks);
    const std::vector<std::pair<std::string, std::string>> want = {
        {"5:12", "requiredSysctls[0]: vm.max_map_count is not namespaced"},
        {"6:12", "requiredSysctls[1]: net.core.somaxconn is forbidden by Pod Security Standards baseline at v1.25"},
        {"7:12", "requiredSysctls[2]: net.ipv4.tcp_fin_timeout is forbidden by Pod Security Standards baseline at v1.25"},
        {"8:47", "requiredSysctls[3]: net.ipv4.ip_local_port_range holds several numbers"},
        {"10:17", "securityContext.runAsNonRoot: false requires nothing (only true is checked"},
        {"11:29", "securityContext.allowPrivilegeEscalation: true requires nothing (only false is checked"},
        {"12:14", "securityContext.runAsUser: max 0 allows only root, which podSecurity restricted forbids"},
    };
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      CAPTURE(got[i].str());
      CHECK(std::to_string(got[i].line) + ":" + std::to_string(got[i].col) == want[i].first);
      CHECK(got[i].message.rfind(want[i].second, 0) == 0);
      CHECK(got[i].file == GP_POLICY_TESTDATA "/contradictions.yaml");
    }
  }

  TEST_CASE("not namespaced sysctls can never be set in a Pod, whatever the PSS level") {
    for (const char* name : {"vm.max_map_count", "fs.file-max", "kernel.pid_max", "vm/swappiness"}) {
      CAPTURE(name);
      const auto got = lint(std::string("requiredSysctls:\n  - {name: ") + name + ", min: 1}\n");
      REQUIRE(got.size() == 1);
      CHECK(got[0].find("is not namespaced, so no Pod can set it") != std::string::npos);
      CHECK(got[0].rfind("p.yaml:4:12: requiredSysctls[0]: ", 0) == 0);
    }
    for (const char* name : {"net.core.somaxconn", "kernel.shmmax", "kernel.msgmax", "kernel.sem", "fs.mqueue.msg_max"}) {
      CAPTURE(name);
      CHECK(lint(std::string("requiredSysctls:\n  - {name: ") + name + ", equals: \"1\"}\n").empty());
    }
  }

  TEST_CASE("PSS baseline's sysctl allow-list, per version") {
    const std::string fin = "requiredSysctls:\n  - {name: net.ipv4.tcp_fin_timeout, max: 30}\n";
    // tcp_fin_timeout joined the safe set in v1.29.
    CHECK(lint("podSecurity: {level: baseline, version: v1.28}\n" + fin).size() == 1);
    CHECK(lint("podSecurity: {level: baseline, version: v1.29}\n" + fin).empty());
    CHECK(lint("podSecurity: {level: restricted, version: latest}\n" + fin).empty());
    // privileged, or no podSecurity at all, forbids no sysctl.
    CHECK(lint("podSecurity: {level: privileged, version: v1.0}\n" + fin).empty());
    CHECK(lint(fin).empty());
    const auto somax = lint("podSecurity: {level: baseline}\nrequiredSysctls:\n  - {name: net.core.somaxconn, min: 1024}\n");
    REQUIRE(somax.size() == 1);
    CHECK(somax[0] == "p.yaml:5:12: requiredSysctls[0]: net.core.somaxconn is forbidden by Pod Security Standards "
                      "baseline at latest (podSecurity.level baseline), so no Pod can meet both; drop the requirement, "
                      "or use podSecurity level privileged and allow it on the kubelets with --allowed-unsafe-sysctls");
  }

  TEST_CASE("securityContext: only the safe value of a boolean is a requirement; root-only ranges") {
    CHECK(lint("securityContext: {runAsNonRoot: false, runAsUser: {min: 1}}\n") ==
          std::vector<std::string>{"p.yaml:3:33: securityContext.runAsNonRoot: false requires nothing (only true is "
                                   "checked; unset already allows anything); remove it or set true"});
    CHECK(lint("securityContext: {readOnlyRootFilesystem: false, runAsNonRoot: true}\n").size() == 1);
    CHECK(lint("securityContext: {allowPrivilegeEscalation: true, runAsNonRoot: true}\n").size() == 1);
    CHECK(lint("securityContext: {allowPrivilegeEscalation: false}\n").empty());
    CHECK(lint("securityContext: {readOnlyRootFilesystem: true}\n").empty());
    CHECK(lint("securityContext: {runAsNonRoot: true, runAsUser: {max: 0}}\n").size() == 1);
    CHECK(lint("podSecurity: {level: restricted}\nsecurityContext: {runAsUser: {max: 0}}\n").size() == 1);
    // restricted forbids runAsUser 0 from v1.23 on; baseline never does.
    CHECK(lint("podSecurity: {level: restricted, version: v1.22}\nsecurityContext: {runAsUser: {max: 0}}\n").empty());
    CHECK(lint("podSecurity: {level: baseline}\nsecurityContext: {runAsUser: {max: 0}}\n").empty());
    CHECK(lint("securityContext: {runAsUser: {min: 1000}}\n").empty());
    const auto none = lint("securityContext: {mode: warn}\n");
    REQUIRE(none.size() == 1);
    CHECK(none[0].find("no requirement is set") != std::string::npos);
    CHECK(lint("securityContext: {mode: warn, runAsNonRoot: false}\n").size() == 2);  // no-op key + empty section
  }

  TEST_CASE("min/max on a sysctl that holds several numbers") {
    const auto got = lint("requiredSysctls:\n  - {name: net.ipv4.ip_local_port_range, max: 65535}\n");
    REQUIRE(got.size() == 1);
    CHECK(got[0] == "p.yaml:4:47: requiredSysctls[0]: net.ipv4.ip_local_port_range holds several numbers; min/max "
                    "cannot compare it, use equals");
  }

  TEST_CASE("a clean policy lints clean") {
    auto r = load_policy_file(GP_POLICY_TESTDATA "/full.yaml");
    REQUIRE(r.policy);
    CHECK(lint_policy(*r.policy, r.marks).empty());
  }
}
