// Versions, levels, the check catalog, the registry validation and the sysctl allow-lists.
#include <doctest/doctest.h>

#include "pss/detail.hpp"
#include "pss_test_util.hpp"

using namespace pss_test;
namespace detail = gopreflight::webhook::pss::detail;

TEST_CASE("Version::parse accepts latest and v1.N as PSA does") {
  struct Row {
    const char* in;
    bool ok;
    bool latest;
    int minor;
  };
  const Row rows[] = {
      {"latest", true, true, 0},  {"v1.0", true, false, 0},   {"v1.25", true, false, 25},
      {"v1.37", true, false, 37}, {"v1.40", true, false, 40}, {"v1.01", false, false, 0},
      {"v2.0", false, false, 0},  {"1.25", false, false, 0},  {"v1.", false, false, 0},
      {"v1.-1", false, false, 0}, {"v1.2a", false, false, 0}, {"", false, false, 0},
      {"Latest", false, false, 0}, {"v1.99999", false, false, 0}, {"v1.+5", false, false, 0},
  };
  for (const auto& r : rows) {
    const std::string in = r.in;
    CAPTURE(in);
    auto v = pss::Version::parse(r.in);
    REQUIRE(v.has_value() == r.ok);
    if (!r.ok) continue;
    CHECK(v->latest == r.latest);
    if (!r.latest) CHECK(v->minor == r.minor);
    CHECK(v->str() == r.in);
  }
}

TEST_CASE("levels parse and print") {
  for (auto l : {"privileged", "baseline", "restricted"}) {
    auto p = pss::parse_level(l);
    REQUIRE(p);
    CHECK(pss::to_string(*p) == l);
  }
  CHECK_FALSE(pss::parse_level("Restricted"));
  CHECK_FALSE(pss::parse_level("default"));
}

TEST_CASE("the built-in registry is valid and lists every PSA check id") {
  CHECK(pss::registry_errors().empty());
  std::vector<std::string> ids;
  for (const auto& c : pss::list_checks()) {
    ids.push_back(c.id);
    CHECK_FALSE(c.description.empty());
    CHECK_FALSE(c.versions.empty());
    CHECK(std::is_sorted(c.versions.begin(), c.versions.end()));
  }
  const std::vector<std::string> want = {
      "hostNamespaces", "privileged", "capabilities_baseline", "hostPathVolumes", "hostPorts",
      "appArmorProfile", "seLinuxOptions", "procMount", "seccompProfile_baseline", "sysctls",
      "windowsHostProcess", "hostProbesAndHostLifecycle", "restrictedVolumes",
      "allowPrivilegeEscalation", "runAsNonRoot", "runAsUser", "seccompProfile_restricted",
      "capabilities_restricted", "procMount_restricted"};
  CHECK(ids == want);
  CHECK(pss::newest_known_minor() == 37);
}

namespace {
void noop(detail::Ctx&) {}
}  // namespace

TEST_CASE("registry validation rejects what PSA's registry rejects") {
  using detail::Check;
  using L = pss::Level;
  struct Row {
    const char* name;
    std::vector<Check> checks;
    const char* want;  // substring of the first error, or "" for valid
  };
  const std::vector<Row> rows = {
      {"valid", {{"a", L::baseline, "d", {{0, &noop, {}}, {19, &noop, {}}}},
                 {"b", L::restricted, "d", {{22, &noop, {"a"}}}}}, ""},
      {"duplicate id", {{"a", L::baseline, "d", {{0, &noop, {}}}},
                        {"a", L::restricted, "d", {{1, &noop, {}}}}}, "multiple checks registered for id a"},
      {"equal versions", {{"a", L::baseline, "d", {{19, &noop, {}}, {19, &noop, {}}}}}, "strictly increasing"},
      {"decreasing versions", {{"a", L::baseline, "d", {{25, &noop, {}}, {19, &noop, {}}}}}, "strictly increasing"},
      {"no versions", {{"a", L::baseline, "d", {}}}, "no versions"},
      {"no function", {{"a", L::baseline, "d", {{0, nullptr, {}}}}}, "no function"},
      {"privileged level", {{"a", L::privileged, "d", {{0, &noop, {}}}}}, "invalid level"},
      {"empty id", {{"", L::baseline, "d", {{0, &noop, {}}}}}, "empty id"},
      {"baseline override", {{"a", L::baseline, "d", {{0, &noop, {}}}},
                             {"b", L::baseline, "d", {{0, &noop, {"a"}}}}}, "only restricted checks may override"},
      {"override unknown", {{"b", L::restricted, "d", {{0, &noop, {"nope"}}}}}, "overrides unknown baseline check nope"},
      {"override restricted", {{"a", L::restricted, "d", {{0, &noop, {}}}},
                               {"b", L::restricted, "d", {{0, &noop, {"a"}}}}}, "overrides unknown baseline check a"},
  };
  for (const auto& r : rows) {
    const std::string name = r.name;
    CAPTURE(name);
    auto errs = detail::validate_checks(r.checks);
    if (std::string(r.want).empty()) {
      CHECK(errs.empty());
    } else {
      REQUIRE_FALSE(errs.empty());
      CHECK_MESSAGE(errs.front().find(r.want) != std::string::npos, errs.front());
    }
  }
}

TEST_CASE("baseline sysctl allow-list grows by union at v1.27, v1.29, v1.32, v1.37") {
  auto at = [](const char* v) { return pss::baseline_allowed_sysctls(version(v)); };
  const std::vector<std::string> v1_0 = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                                         "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                                         "net.ipv4.ip_unprivileged_port_start"};
  CHECK(at("v1.0") == v1_0);
  CHECK(at("v1.26") == v1_0);
  struct Step {
    const char* before;
    const char* at;
    std::vector<std::string> added;
  };
  const Step steps[] = {
      {"v1.26", "v1.27", {"net.ipv4.ip_local_reserved_ports"}},
      {"v1.28", "v1.29", {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                          "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}},
      {"v1.31", "v1.32", {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}},
      {"v1.36", "v1.37", {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}},
  };
  for (const auto& s : steps) {
    const std::string step = s.at;
    CAPTURE(step);
    auto before = at(s.before);
    auto after = at(s.at);
    auto expect = before;
    expect.insert(expect.end(), s.added.begin(), s.added.end());
    CHECK(after == expect);  // union: nothing removed, exactly these added
  }
  CHECK(at("latest") == at("v1.37"));
  CHECK(at("v1.50") == at("latest"));
  CHECK(at("latest").size() == 14);
}

TEST_CASE("violations carry level, version, message and fix") {
  json pod = load_fixture("deployment-baseline-violations.json");
  const gopreflight::webhook::PodView view = workload_view(pod);
  auto vs = pss::evaluate(pss::Level::baseline, version("v1.35"), view);
  const std::vector<std::string> want = {
      "appArmorProfile@spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/sidecar]",
      "capabilities_baseline@spec.template.spec.containers[1].securityContext.capabilities.add",
      "hostNamespaces@spec.template.spec.hostNetwork",
      "hostPathVolumes@spec.template.spec.volumes[0].hostPath",
      "hostPorts@spec.template.spec.containers[1].ports[0].hostPort",
      "privileged@spec.template.spec.containers[1].securityContext.privileged",
      "sysctls@spec.template.spec.securityContext.sysctls[0].name",
  };
  CHECK(keys(vs) == want);
  for (const auto& v : vs) {
    CAPTURE(v.path);
    CHECK(v.level == "baseline");
    CHECK(v.version == "v1.35");
    CHECK_FALSE(v.message.empty());
    CHECK_FALSE(v.fix.empty());
    CHECK(v.message.find("(baseline") == std::string::npos);  // h5 adds the tag
  }
  // Messages say what was found and what is required.
  for (const auto& v : vs) {
    if (v.check_id == "sysctls") {
      CHECK(v.message.find("net.core.somaxconn") != std::string::npos);
      CHECK(v.message.find("net.ipv4.tcp_fin_timeout") != std::string::npos);
    }
    if (v.check_id == "capabilities_baseline") CHECK(v.fix.find("NET_ADMIN") != std::string::npos);
    if (v.check_id == "privileged") CHECK(v.message.find("\"sidecar\"") != std::string::npos);
  }
  // Restricted on the same template: the baseline findings are still there, with the level of
  // the check that failed, plus restricted findings.
  auto rs = pss::evaluate(pss::Level::restricted, version("latest"), view);
  bool saw_baseline = false, saw_restricted = false;
  for (const auto& v : rs) {
    CHECK(v.version == "latest");
    saw_baseline |= v.check_id == "hostNamespaces" && v.level == "baseline";
    saw_restricted |= v.check_id == "runAsNonRoot" && v.level == "restricted";
    CHECK(v.check_id != "hostPathVolumes");  // replaced by restrictedVolumes
  }
  CHECK(saw_baseline);
  CHECK(saw_restricted);
}
