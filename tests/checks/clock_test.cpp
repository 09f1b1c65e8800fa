#include "checks/clock.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace gopreflight::initcheck;
using namespace gopreflight::initcheck::checks;
using gp_test::FakeClock;
using gp_test::run;

TEST_CASE("clock_synchronised follows systemd-timedated") {
  CHECK(clock_synchronised({0, 250000, 1000, 12345, 0x2001}, 16000000));
  CHECK_FALSE(clock_synchronised({0, 16000000, 16000000, 0, 0x40}, 16000000));  // maxerror at ceiling
  CHECK_FALSE(clock_synchronised({kTimeError, 1000, 1000, 0, 0x40}, 16000000)); // TIME_ERROR
  CHECK(clock_synchronised({1, 15999999, 0, 0, 0}, 16000000));                  // TIME_INS is synced
  CHECK_FALSE(clock_synchronised({0, 500, 0, 0, 0}, 500));
}

TEST_CASE("clock helpers") {
  CHECK(clock_state_name(0) == "TIME_OK");
  CHECK(clock_state_name(5) == "TIME_ERROR");
  CHECK(clock_state_name(42) == "state 42");
  CHECK(sta_flags(0x2041) == "STA_PLL|STA_UNSYNC|STA_NANO");
  CHECK(sta_flags(0) == "none");
  auto f = parse_cpu_flags("processor : 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\nflags : x\n");
  REQUIRE(f.ok());
  CHECK(*f == std::vector<std::string>{"fpu", "tsc", "constant_tsc", "nonstop_tsc"});
  CHECK_FALSE(parse_cpu_flags("").ok());
  CHECK_FALSE(parse_cpu_flags("Features : fp asimd\n").ok());
  CHECK(parse_cpu_flags("flags :\n")->empty());
}

TEST_CASE("clock.sync with a fake adjtimex") {
  const FakeClock synced(ClockReading{0, 250000, 1200, -48000, 0x2001});
  const FakeClock unsynced(ClockReading{kTimeError, 16000000, 16000000, 0, 0x40});
  const FakeClock broken(gopreflight::fail("adjtimex(2) read-only call failed: Operation not permitted"));
  auto ok = run("clock.sync", "clock/tsc", {}, &synced);
  CHECK(ok.status == Status::pass);
  CHECK(ok.observed.find("offset=-48000ns") != std::string::npos);
  CHECK(ok.observed.find("(adjtimex(2))") != std::string::npos);
  CHECK(ok.message.find("node's kernel clock") != std::string::npos);
  CHECK(ok.message.find("1.200 ms") != std::string::npos);
  auto bad = run("clock.sync", "clock/tsc", {}, &unsynced);
  CHECK(bad.status == Status::fail);
  CHECK(bad.message.find("TIME_ERROR") != std::string::npos);
  CHECK(bad.remediation.find("timedatectl set-ntp true") != std::string::npos);
  gp_test::check_contract(bad);
  CHECK(run("clock.sync", "clock/tsc", {{"severity", "warning"}}, &unsynced).status == Status::warn);
  // a stricter bound: 250 ms maxerror is too much when 100 ms is required
  CHECK(run("clock.sync", "clock/tsc", {{"max_error_us", 100000}}, &synced).status == Status::fail);
  auto err = run("clock.sync", "clock/tsc", {}, &broken);
  CHECK(err.status == Status::error);
  CHECK(err.message.find("Operation not permitted") != std::string::npos);
}

TEST_CASE("clock.source on fixture trees") {
  auto tsc = run("clock.source", "clock/tsc");
  CHECK(tsc.status == Status::pass);
  CHECK(tsc.observed.find("available: tsc hpet acpi_pm") != std::string::npos);
  CHECK(tsc.observed.find("constant_tsc=yes nonstop_tsc=yes") != std::string::npos);
  auto hpet = run("clock.source", "clock/hpet");
  CHECK(hpet.status == Status::warn);
  CHECK(hpet.message.find("syscall") != std::string::npos);
  CHECK(hpet.message.find("constant_tsc=no") != std::string::npos);
  CHECK(hpet.remediation.find("clocksource=tsc") != std::string::npos);
  gp_test::check_contract(hpet);
  CHECK(run("clock.source", "clock/hpet", {{"severity", "critical"}}).status == Status::fail);
  CHECK(run("clock.source", "clock/hpet", {{"allowed", {"hpet"}}}).status == Status::pass);
  auto arm = run("clock.source", "clock/arm");
  CHECK(arm.status == Status::pass);
  CHECK(arm.observed.find("constant_tsc") == std::string::npos);  // not x86: no flags reported
  auto garbage = run("clock.source", "clock/garbage");
  CHECK(garbage.status == Status::error);
  CHECK(garbage.message.find("one clocksource name") != std::string::npos);
  auto absent = run("clock.source", "clock/absent");
  CHECK(absent.status == Status::error);
  CHECK(absent.message.find("current_clocksource") != std::string::npos);
}
