#include "checks/limits.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace gopreflight::initcheck;
using namespace gopreflight::initcheck::checks;
using gp_test::run;

namespace {
const char* kHeader = "Limit                     Soft Limit           Hard Limit           Units     \n";
}

TEST_CASE("parse_limit_value") {
  CHECK(parse_limit_value("unlimited")->unlimited);
  CHECK(parse_limit_value(" 1024 ")->value == 1024);
  CHECK(parse_limit_value("18446744073709551615")->value == 18446744073709551615ull);
  auto big = parse_limit_value("18446744073709551616");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().find("64 bits") != std::string::npos);
  for (auto bad : {"", "-1", "12k", "Unlimited", "0x10", "1 2"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_limit_value(bad).ok());
  }
}

TEST_CASE("parse_proc_limits reads the kernel's table") {
  std::string text = std::string(kHeader) +
                     "Max cpu time              unlimited            unlimited            seconds   \n"
                     "Max processes             63412                63412                processes \n"
                     "Max open files            1024                 524288               files     \n"
                     "Max address space         unlimited            unlimited            bytes     \n"
                     "Max nice priority         0                    0                    \n";
  auto l = parse_proc_limits(text);
  REQUIRE(l.ok());
  CHECK(l->size() == 5);
  const auto& nofile = l->at("Max open files");
  CHECK(nofile.soft == LimitValue{false, 1024});
  CHECK(nofile.hard == LimitValue{false, 524288});
  CHECK(nofile.units == "files");
  CHECK(l->at("Max address space").soft.unlimited);
  CHECK(l->at("Max nice priority").units.empty());
  CHECK(l->at("Max processes").hard.value == 63412);
}

TEST_CASE("parse_proc_limits rejects garbage with line numbers") {
  struct Case { std::string text; const char* reason; };
  const std::string h = kHeader;
  for (const auto& c : {
           Case{"", "empty"},
           Case{"\n\n", "empty"},
           Case{"Max open files 1024 4096 files\n", "header"},
           Case{h + "Max open files            lots                 4096                 files\n", "line 2 (Max open files): soft limit value \"lots\""},
           Case{h + "Max open files            1024                 many                 files\n", "hard"},
           Case{h + "Max open files            1024\n", "lacks soft and hard"},
           Case{h + "                          1024                 4096                 files\n", "no name"},
           Case{h + "Max open files 1024 4096 files\n", "lacks soft and hard"},
           Case{h + "Max open files  1024       4096 files\n", "not in the header's columns"},
           Case{h + "Max open files            8192                 4096                 files\n", "soft limit above hard"},
           Case{h + "Max open files            1 2 files\nMax open files            1 2 files\n", "duplicate"},
           Case{h + "Max open files            99999999999999999999999 1 files\n", "64 bits"},
       }) {
    CAPTURE(c.text);
    auto l = parse_proc_limits(c.text);
    REQUIRE_FALSE(l.ok());
    CHECK(l.error().find(c.reason) != std::string::npos);
  }
  // a header alone is a valid, empty table: every check then errors on its missing row
  CHECK(parse_proc_limits(h).ok());
}

TEST_CASE("limits checks on fixture trees") {
  struct Case { const char* tree; const char* id; Status want; const char* in_text; };
  for (auto c : {
           Case{"limits/good", "rlimit.nofile", Status::pass, "1048576"},
           Case{"limits/soft_low", "rlimit.nofile", Status::pass, "raises the soft limit (1024)"},
           Case{"limits/low", "rlimit.nofile", Status::fail, "EMFILE"},
           Case{"limits/garbage", "rlimit.nofile", Status::error, "line 3"},
           Case{"limits/missing_rows", "rlimit.nofile", Status::error, "no \"Max open files\" row"},
           Case{"limits/absent", "rlimit.nofile", Status::error, "no such file"},
           Case{"limits/good", "rlimit.nproc", Status::pass, "unlimited"},
           Case{"limits/low", "rlimit.nproc", Status::warn, "failed to create new OS thread"},
           Case{"limits/missing_rows", "rlimit.nproc", Status::error, "Max processes"},
           Case{"limits/good", "rlimit.as", Status::pass, "unlimited"},
           Case{"limits/low", "rlimit.as", Status::fail, "8589934592"},
           Case{"limits/absent", "rlimit.as", Status::error, "self/limits"},
           Case{"limits/good", "kernel.pid_max", Status::pass, "4194304"},
           Case{"limits/low", "kernel.pid_max", Status::warn, "below 65536"},
           Case{"limits/garbage", "kernel.pid_max", Status::error, "non-negative integer"},
           Case{"limits/absent", "kernel.pid_max", Status::error, "no such file"},
           Case{"limits/good", "kernel.threads_max", Status::pass, "127340"},
           Case{"limits/low", "kernel.threads_max", Status::warn, "kernel.threads-max is 15000"},
           Case{"limits/garbage", "kernel.threads_max", Status::error, "threads-max"},
       }) {
    CAPTURE(c.tree);
    CAPTURE(c.id);
    auto r = run(c.id, c.tree);
    CAPTURE(r.message);
    CHECK(r.status == c.want);
    CHECK((r.message + " " + r.observed).find(c.in_text) != std::string::npos);
    gp_test::check_contract(r);
  }
}

TEST_CASE("kernel.pid_max outside the node's PID namespace on Linux >= 6.14 is not the node's: skip, saying why") {
  // A new PID namespace starts at 4194304 there while its PIDs also count against the node's.
  auto child = run("kernel.pid_max", "limits/pidns-child-6.14");
  CAPTURE(child.message);
  CHECK(child.status == Status::skip);
  CHECK(child.message.find("pid:[4026532178]") != std::string::npos);
  CHECK(child.message.find("hostPID") != std::string::npos);
  CHECK(child.observed.find("not the node's") != std::string::npos);
  gp_test::check_contract(child);
  // The node's own namespace on the same kind of kernel is judged (32768 < 65536).
  auto init = run("kernel.pid_max", "limits/pidns-init-6.18");
  CHECK(init.status == Status::warn);
  CHECK(init.message.find("32768") != std::string::npos);
  // Before 6.14 pid_max is one value for the whole node, whatever the namespace.
  CHECK(run("kernel.pid_max", "limits/pidns-child-6.13").status == Status::pass);
}

TEST_CASE("rlimit remediation names ulimit, systemd and the runtime; thresholds are settings") {
  auto r = run("rlimit.nofile", "limits/low");
  CHECK(r.observed.find("soft 1024, hard 4096") != std::string::npos);
  CHECK(r.observed.find("self/limits") != std::string::npos);
  CHECK(r.remediation.find("LimitNOFILE=1048576") != std::string::npos);
  CHECK(r.remediation.find("ulimit -Hn 1048576") != std::string::npos);
  CHECK(run("rlimit.nofile", "limits/low", {{"min", 4096}}).status == Status::pass);
  CHECK(run("rlimit.nofile", "limits/low", {{"severity", "warning"}}).status == Status::warn);
  CHECK(run("kernel.pid_max", "limits/low", {{"severity", "critical"}}).status == Status::fail);
  auto p = run("kernel.pid_max", "limits/low");
  CHECK(p.remediation.find("sysctl -w kernel.pid_max=4194304") != std::string::npos);
  CHECK(p.remediation.find("/etc/sysctl.d/99-go-prod.conf: `kernel.pid_max = 4194304`") != std::string::npos);
  CHECK(run("rlimit.nproc", "limits/low", {{"min", 100}}).status == Status::pass);
}
