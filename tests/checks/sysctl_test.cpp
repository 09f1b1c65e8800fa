#include "checks/sysctl.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace gopreflight::initcheck;
using namespace gopreflight::initcheck::checks;
using gp_test::run;

namespace {
const SysctlSpec& spec(const std::string& name) {
  for (const auto& s : sysctl_specs()) {
    if (s.name == name) return s;
  }
  FAIL("no spec " << name);
  return sysctl_specs().front();
}
const char* kSwapHdr = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
}  // namespace

TEST_CASE("parse_swaps") {
  auto none = parse_swaps(kSwapHdr);
  REQUIRE(none.ok());
  CHECK(none->empty());
  auto two = parse_swaps(std::string(kSwapHdr) + "/swapfile file 2097148 10240 -2\n/dev/sda2 partition 1024 0 -3\n");
  REQUIRE(two.ok());
  REQUIRE(two->size() == 2);
  CHECK((*two)[0].filename == "/swapfile");
  CHECK((*two)[0].used_kib == 10240);
  CHECK((*two)[1].type == "partition");
  for (auto bad : {"", "/swapfile file 1 0 -2\n", "Filename Type\n",
                   "Filename Type Size Used Priority\n/swapfile file big 0 -2\n",
                   "Filename Type Size Used Priority\n/swapfile file 1\n"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_swaps(bad).ok());
  }
}

TEST_CASE("parse_port_range") {
  auto r = parse_port_range("32768\t60999\n");
  REQUIRE(r.ok());
  CHECK(r->width() == 28232);
  CHECK(parse_port_range("1024 65535")->width() == 64512);
  for (auto bad : {"", "1024", "1 2 3", "70000 1", "0 100", "100 99", "a b", "1024 65536"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_port_range(bad).ok());
  }
}

TEST_CASE("sysctl_rel_path and the catalog") {
  CHECK(sysctl_rel_path("net.ipv4.tcp_tw_reuse") == "sys/net/ipv4/tcp_tw_reuse");
  CHECK(sysctl_rel_path("fs.file-max") == "sys/fs/file-max");
  const std::vector<std::string> want = {
      "vm.max_map_count", "vm.swappiness", "vm.overcommit_memory", "fs.file-max", "fs.nr_open",
      "fs.inotify.max_user_watches", "fs.inotify.max_user_instances", "net.core.somaxconn",
      "net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_fin_timeout", "net.ipv4.ip_local_port_range",
      "net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_tcp_timeout_established"};
  for (const auto& n : want) {
    CAPTURE(n);
    CHECK(find_check("sysctl." + n) != nullptr);
  }
  CHECK(sysctl_specs().size() == want.size());
  CHECK(find_check("swap") != nullptr);
  CHECK(find_check("conntrack.usage") != nullptr);
}

TEST_CASE("judge_sysctl on strings") {
  const nlohmann::json min = {{"min", 262144}};
  CHECK(judge_sysctl(spec("vm.max_map_count"), "262144\n", min).status == Status::pass);
  CHECK(judge_sysctl(spec("vm.max_map_count"), "65530", min).status == Status::fail);
  CHECK(judge_sysctl(spec("vm.max_map_count"), "", min).status == Status::error);
  CHECK(judge_sysctl(spec("vm.max_map_count"), "9223372036854775808", min).status == Status::error);
  CHECK(judge_sysctl(spec("fs.file-max"), "9223372036854775807", {{"min", 2097152}}).status == Status::pass);
  CHECK(judge_sysctl(spec("vm.swappiness"), "10", {{"max", 10}}).status == Status::pass);
  CHECK(judge_sysctl(spec("vm.swappiness"), "11", {{"max", 10}}).status == Status::fail);
  const nlohmann::json tw = {{"allowed", {1}}};
  CHECK(judge_sysctl(spec("net.ipv4.tcp_tw_reuse"), "1", tw).status == Status::pass);
  auto two = judge_sysctl(spec("net.ipv4.tcp_tw_reuse"), "2", tw);
  CHECK(two.status == Status::fail);
  CHECK(two.fix_value == "1");
  const nlohmann::json oc = {{"allowed", {0, 1}}};
  CHECK(judge_sysctl(spec("vm.overcommit_memory"), "2", oc).status == Status::fail);
  CHECK(judge_sysctl(spec("vm.overcommit_memory"), "0", oc).status == Status::pass);
  const nlohmann::json pr = {{"min_width", 64512}, {"recommended", "1024 65535"}};
  CHECK(judge_sysctl(spec("net.ipv4.ip_local_port_range"), "1024\t65535", pr).status == Status::pass);
  auto narrow = judge_sysctl(spec("net.ipv4.ip_local_port_range"), "32768 60999", pr);
  CHECK(narrow.status == Status::fail);
  CHECK(narrow.detail == "28232 ports (32768-60999)");
  CHECK(judge_sysctl(spec("net.ipv4.ip_local_port_range"), "65535 1024", pr).status == Status::error);
}

TEST_CASE("sysctl checks: tuned node passes, defaults warn, garbage errors") {
  for (const auto& s : sysctl_specs()) {
    const auto id = "sysctl." + s.name;
    CAPTURE(id);
    auto tuned = run(id, "sysctl/tuned");
    CAPTURE(tuned.message);
    CHECK(tuned.status == Status::pass);
    auto dflt = run(id, "sysctl/defaults");
    CAPTURE(dflt.message);
    if (s.name == "fs.nr_open") {
      CHECK(dflt.status == Status::pass);
    } else {
      CHECK(dflt.status == Status::warn);
      CHECK(run(id, "sysctl/defaults", {{"severity", "critical"}}).status == Status::fail);
    }
    gp_test::check_contract(dflt);
    auto garbage = run(id, "sysctl/garbage");
    CAPTURE(garbage.message);
    if (s.name == "net.netfilter.nf_conntrack_max") {
      CHECK(garbage.status == Status::warn);  // "0" parses: a table of size 0 is below the minimum
    } else {
      CHECK(garbage.status == Status::error);
      CHECK(garbage.message.find(s.name) != std::string::npos);
    }
    // observed names the raw value's file
    CHECK(dflt.observed.find(sysctl_rel_path(s.name)) != std::string::npos);
  }
}

TEST_CASE("sysctl scope wording and remediation per kind") {
  auto node = run("sysctl.vm.max_map_count", "sysctl/defaults");
  CHECK(node.message.find("node-wide") != std::string::npos);
  CHECK(node.remediation.find("sysctl -w vm.max_map_count=262144") != std::string::npos);
  CHECK(node.remediation.find("/etc/sysctl.d/99-go-prod.conf: `vm.max_map_count = 262144`") != std::string::npos);
  auto safe = run("sysctl.net.ipv4.ip_local_port_range", "sysctl/defaults");
  CHECK(safe.message.find("reflects the Pod's network namespace") != std::string::npos);
  CHECK(safe.remediation.find(
            "spec.securityContext.sysctls: [{name: net.ipv4.ip_local_port_range, value: \"1024 65535\"}]") !=
        std::string::npos);
  CHECK(safe.remediation.find("allowed-unsafe-sysctls") == std::string::npos);
  CHECK(safe.remediation.find("sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\"") != std::string::npos);
  CHECK(safe.observed.find("32768 60999") != std::string::npos);
  auto unsafe = run("sysctl.net.core.somaxconn", "sysctl/defaults");
  CHECK(unsafe.remediation.find("--allowed-unsafe-sysctls=net.core.somaxconn") != std::string::npos);
  CHECK(unsafe.remediation.find("value: \"65535\"") != std::string::npos);
  auto ct = run("sysctl.net.netfilter.nf_conntrack_max", "sysctl/defaults");
  CHECK(ct.remediation.find("conntrack.maxPerCore") != std::string::npos);
  auto fin = run("sysctl.net.ipv4.tcp_fin_timeout", "sysctl/defaults", {{"max", 60}});
  CHECK(fin.status == Status::pass);
}

TEST_CASE("sysctl skip and error paths") {
  auto skip = run("sysctl.net.netfilter.nf_conntrack_max", "sysctl/no_netfilter");
  CHECK(skip.status == Status::skip);
  CHECK(skip.message.find("nf_conntrack module not loaded") != std::string::npos);
  CHECK(run("sysctl.net.netfilter.nf_conntrack_tcp_timeout_established", "sysctl/no_netfilter").status ==
        Status::skip);
  CHECK(run("conntrack.usage", "sysctl/no_netfilter").status == Status::skip);
  // a wrong --path.procfs is an error, never a skip
  auto nowhere = run("sysctl.vm.swappiness", "sysctl/does-not-exist");
  CHECK(nowhere.status == Status::error);
  CHECK(nowhere.message.find("--path.procfs") != std::string::npos);
  CHECK(run("swap", "sysctl/does-not-exist").status == Status::error);
  CHECK(run("conntrack.usage", "sysctl/does-not-exist").status == Status::error);
  auto big = run("sysctl.vm.swappiness", "sysctl/tuned", {}, nullptr, 1);
  CHECK(big.status == Status::error);
  CHECK(big.message.find("larger than 1 bytes") != std::string::npos);
}

TEST_CASE("swap check") {
  CHECK(run("swap", "sysctl/tuned").status == Status::pass);
  auto on = run("swap", "sysctl/defaults");
  CHECK(on.status == Status::warn);
  CHECK(on.observed.find("/swapfile file 2097148 KiB (10240 KiB used)") != std::string::npos);
  CHECK(on.message.find("3145720 KiB in 2 area(s)") != std::string::npos);
  CHECK(on.remediation.find("swapoff -a") != std::string::npos);
  CHECK(on.remediation.find("/etc/fstab") != std::string::npos);
  CHECK(run("swap", "sysctl/defaults", {{"severity", "critical"}}).status == Status::fail);
  auto skip = run("swap", "sysctl/no_netfilter");
  CHECK(skip.status == Status::skip);
  auto garbage = run("swap", "sysctl/garbage");
  CHECK(garbage.status == Status::error);
  CHECK(garbage.message.find("header") != std::string::npos);
}

TEST_CASE("conntrack.usage thresholds") {
  auto ok = run("conntrack.usage", "sysctl/tuned");
  CHECK(ok.status == Status::pass);
  CHECK(ok.message.find("0.1% full") != std::string::npos);
  auto warn = run("conntrack.usage", "sysctl/conntrack_warn");
  CHECK(warn.status == Status::warn);
  CHECK(warn.message.find("85.0%") != std::string::npos);
  gp_test::check_contract(warn);
  auto full = run("conntrack.usage", "sysctl/defaults");
  CHECK(full.status == Status::fail);
  CHECK(full.observed.find("250000") != std::string::npos);
  CHECK(run("conntrack.usage", "sysctl/defaults", {{"fail_percent", 99}}).status == Status::warn);
  CHECK(run("conntrack.usage", "sysctl/conntrack_warn", {{"warn_percent", 90}}).status == Status::pass);
  auto zero = run("conntrack.usage", "sysctl/garbage");
  CHECK(zero.status == Status::error);
  CHECK(zero.message.find("is 0") != std::string::npos);
}
