// Rule 3 (unsettableSysctls): namespaced or not, safe per kubelet version, host namespaces.
#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace gp_test;

namespace {

rules::Findings run(const char* name, json extra = json::object(), pss::Version v = pss::Version{},
                    Mode mode = Mode::enforce) {
  json spec = {{"securityContext", {{"sysctls", json::array({{{"name", name}, {"value", "1"}}})}}}};
  for (auto& [k, val] : extra.items()) spec[k] = val;
  TestPod p(pod_with_spec(std::move(spec)));
  rules::Findings out;
  rules::unsettable_sysctls(p.view, mode, v, out);
  return out;
}

}  // namespace

TEST_SUITE("rules") {
  TEST_CASE("unsettableSysctls: kernel namespace of each sysctl") {
    using rules::SysctlNamespace;
    struct Row {
      const char* name;
      SysctlNamespace ns;
    };
    const Row rows[] = {
        {"net.core.somaxconn", SysctlNamespace::net},        {"net.ipv4.ip_local_port_range", SysctlNamespace::net},
        {"kernel.shm_rmid_forced", SysctlNamespace::ipc},    {"kernel.shmmax", SysctlNamespace::ipc},
        {"kernel.shmall", SysctlNamespace::ipc},             {"kernel.shmmni", SysctlNamespace::ipc},
        {"kernel.msgmax", SysctlNamespace::ipc},             {"kernel.msgmnb", SysctlNamespace::ipc},
        {"kernel.msgmni", SysctlNamespace::ipc},             {"kernel.sem", SysctlNamespace::ipc},
        {"fs.mqueue.msg_max", SysctlNamespace::ipc},         {"vm.max_map_count", SysctlNamespace::none},
        {"vm.overcommit_memory", SysctlNamespace::none},     {"fs.file-max", SysctlNamespace::none},
        {"fs.inotify.max_user_watches", SysctlNamespace::none}, {"kernel.pid_max", SysctlNamespace::none},
        {"kernel.threads-max", SysctlNamespace::none},       {"kernel.shmfoo", SysctlNamespace::none},
        {"network.x", SysctlNamespace::none},                {"fs.mqueue", SysctlNamespace::none},
        {"", SysctlNamespace::none},
    };
    for (const auto& r : rows) {
      CAPTURE(r.name);
      CHECK(rules::sysctl_namespace(r.name) == r.ns);
    }
  }

  TEST_CASE("unsettableSysctls: not namespaced is denied with node advice") {
    for (const char* name : {"vm.max_map_count", "fs.file-max", "kernel.pid_max", "vm/swappiness"}) {
      CAPTURE(name);
      auto out = run(name);
      REQUIRE(out.size() == 1);
      CHECK(out[0].mode == "enforce");
      CHECK(out[0].path == "spec.securityContext.sysctls[0]");
      CHECK(out[0].message.find("not namespaced") != std::string::npos);
      CHECK(out[0].message.find("SysctlForbidden") != std::string::npos);
      CHECK(out[0].fix.find("gopreflight-check") != std::string::npos);
    }
  }

  TEST_CASE("unsettableSysctls: safe sysctls pass, unsafe namespaced ones warn about --allowed-unsafe-sysctls") {
    for (const char* name : {"net.ipv4.ip_local_port_range", "kernel.shm_rmid_forced", "net.ipv4.tcp_syncookies",
                             "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
                             "net/ipv4/ip_local_port_range"}) {
      CAPTURE(name);
      CHECK(run(name).empty());
    }
    for (const char* name : {"net.core.somaxconn", "net.ipv4.tcp_tw_reuse", "kernel.msgmax", "fs.mqueue.msg_max",
                             "kernel.sem"}) {
      CAPTURE(name);
      auto out = run(name);
      REQUIRE(out.size() == 1);
      CHECK(out[0].mode == "warn");
      CHECK(out[0].fix.find(std::string("--allowed-unsafe-sysctls=") + name) != std::string::npos);
    }
    auto audited = run("net.core.somaxconn", json::object(), pss::Version{}, Mode::audit);
    REQUIRE(audited.size() == 1);
    CHECK(audited[0].mode == "audit");
  }

  TEST_CASE("unsettableSysctls: the kubelet safe set depends on the Kubernetes version") {
    // tcp_fin_timeout joined the safe set in v1.29, ip_local_reserved_ports in v1.27.
    CHECK(run("net.ipv4.tcp_fin_timeout").empty());
    CHECK(run("net.ipv4.tcp_fin_timeout", json::object(), *pss::Version::parse("v1.29")).empty());
    auto old = run("net.ipv4.tcp_fin_timeout", json::object(), *pss::Version::parse("v1.28"));
    REQUIRE(old.size() == 1);
    CHECK(old[0].mode == "warn");
    CHECK(old[0].message.find("v1.28") != std::string::npos);
    CHECK(run("net.ipv4.ip_local_reserved_ports", json::object(), *pss::Version::parse("v1.27")).empty());
    CHECK(run("net.ipv4.ip_local_reserved_ports", json::object(), *pss::Version::parse("v1.26")).size() == 1);
  }

  TEST_CASE("unsettableSysctls: host network / host IPC make namespaced sysctls unsettable") {
    auto net = run("net.ipv4.ip_local_port_range", {{"hostNetwork", true}});
    REQUIRE(net.size() == 1);
    CHECK(net[0].mode == "enforce");
    CHECK(net[0].message.find("hostNetwork") != std::string::npos);
    CHECK(run("net.ipv4.ip_local_port_range", {{"hostNetwork", false}}).empty());
    auto ipc = run("kernel.shm_rmid_forced", {{"hostIPC", true}});
    REQUIRE(ipc.size() == 1);
    CHECK(ipc[0].mode == "enforce");
    CHECK(run("kernel.shm_rmid_forced", {{"hostNetwork", true}}).empty());  // IPC, not net
  }

  TEST_CASE("unsettableSysctls: an entry without a name is reported") {
    TestPod p(pod_with_spec({{"securityContext", {{"sysctls", json::array({{{"value", "1"}}})}}}}));
    rules::Findings out;
    rules::unsettable_sysctls(p.view, Mode::enforce, pss::Version{}, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].path == "spec.securityContext.sysctls[0].name");
  }

  TEST_CASE("unsettableSysctls: the kept safe set is the one computed per version") {
    for (int minor = -1; minor <= pss::newest_known_minor() + 3; ++minor) {
      pss::Version v;
      v.latest = false;
      v.minor = minor;
      CHECK(pss::baseline_allowed_sysctls_ref(v) == pss::baseline_allowed_sysctls(v));
    }
    pss::Version latest;
    latest.latest = true;
    CHECK(pss::baseline_allowed_sysctls_ref(latest) == pss::baseline_allowed_sysctls(latest));
    CHECK_FALSE(pss::baseline_allowed_sysctls_ref(latest).empty());
  }
}
