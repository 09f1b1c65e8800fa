#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "checks/kernel_version.hpp"
#include "fixture.hpp"

using namespace gptest;
using gopreflight::initcheck::checks::KernelVersion;
using gopreflight::initcheck::checks::parse_kernel_release;
using gopreflight::initcheck::checks::parse_version_threshold;

TEST_CASE("parse_kernel_release: real release strings") {
  struct Case { const char* text; KernelVersion want; };
  const Case cases[] = {
      {"6.1.0-18-amd64\n", {6, 1, 0}},
      {"5.4.0-150-generic", {5, 4, 0}},
      {"4.19.0+", {4, 19, 0}},
      {"5.15.153.1-microsoft-standard-WSL2", {5, 15, 153}},
      {"  6.8.12  ", {6, 8, 12}},
      {"3.10.0-1160.el7.x86_64", {3, 10, 0}},
      {"6.10", {6, 10, 0}},
  };
  for (const auto& c : cases) {
    auto v = parse_kernel_release(c.text);
    REQUIRE_MESSAGE(v.ok(), c.text);
    CHECK(*v == c.want);
  }
}

TEST_CASE("parse_kernel_release: garbage, empty, huge") {
  for (const char* bad : {"", "\n", "Linux", "six.one", "6", "6-amd64", ".5.4", "99999999999999999999.1"}) {
    auto v = parse_kernel_release(bad);
    CHECK_MESSAGE(!v.ok(), bad);
  }
  CHECK_FALSE(parse_kernel_release(std::string(100000, '5')).ok());
  CHECK(parse_kernel_release("").error().find("empty") != std::string::npos);
}

TEST_CASE("parse_version_threshold is strict") {
  CHECK(parse_version_threshold("5.4").ok());
  CHECK(*parse_version_threshold("5.10.2") == KernelVersion{5, 10, 2});
  CHECK_FALSE(parse_version_threshold("5.4-rc1").ok());
  CHECK_FALSE(parse_version_threshold("five").ok());
  CHECK(KernelVersion{5, 10, 0} > KernelVersion{5, 8, 0});
}

TEST_CASE("kernel.version against fixture trees") {
  auto pass = run_check("kernel.version", "kernel/pass");
  CHECK(pass.status == Status::pass);
  CHECK(pass.observed.find("6.1.0-18-amd64") != std::string::npos);
  CHECK(pass.observed.find("sys/kernel/osrelease") != std::string::npos);
  CHECK(pass.scope == "node");
  check_contract(pass);

  CHECK(run_check("kernel.version", "kernel/wsl").status == Status::pass);

  auto warn = run_check("kernel.version", "kernel/warn");
  CHECK(warn.status == Status::warn);
  check_contract(warn);

  auto failed = run_check("kernel.version", "kernel/fail");
  CHECK(failed.status == Status::fail);
  CHECK(failed.message.find("node-wide") != std::string::npos);
  check_contract(failed);

  auto garbage = run_check("kernel.version", "kernel/error");
  CHECK(garbage.status == Status::error);
  CHECK(garbage.message.find("MAJOR.MINOR") != std::string::npos);

  CHECK(run_check("kernel.version", "kernel/empty").status == Status::error);

  auto missing = run_check("kernel.version", "does/not/exist");
  CHECK(missing.status == Status::error);
  CHECK(missing.message.find("no such file") != std::string::npos);
}

TEST_CASE("kernel.version thresholds and severity are configurable") {
  CHECK(run_check("kernel.version", "kernel/pass", {}, {{"warn_below", "6.2"}}).status == Status::warn);
  CHECK(run_check("kernel.version", "kernel/warn", {}, {{"min_version", "5.10"}}).status == Status::fail);
  CHECK(run_check("kernel.version", "kernel/fail", {}, {{"severity", "warning"}}).status == Status::warn);
  CHECK(run_check("kernel.version", "kernel/pass", {}, {{"min_version", "x"}}).status == Status::error);
}

TEST_CASE("kernel.version: a file larger than the read cap is an error, not a truncated pass") {
  namespace fs = std::filesystem;
  const auto root = fs::temp_directory_path() / ("gp-huge-" + std::to_string(::getpid()));
  fs::create_directories(root / "proc/sys/kernel");
  {
    std::ofstream out(root / "proc/sys/kernel/osrelease", std::ios::binary);
    out << "6.1.0-";
    out << std::string(2u << 20, 'x');
  }
  HostReader host(HostPaths{root / "proc", root / "sys"});
  NoClock clock;
  EnvMap env;
  Context ctx{host, clock, env};
  const auto* def = find_check("kernel.version");
  REQUIRE(def != nullptr);
  auto r = run_one(*def, ctx, def->defaults);
  fs::remove_all(root);
  CHECK(r.status == Status::error);
  CHECK(r.message.find("larger than") != std::string::npos);
}
