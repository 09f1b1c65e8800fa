#include "checks/cgroup_parse.hpp"
#include "fixture.hpp"

using namespace gptest;
using namespace gopreflight::initcheck::checks;

TEST_CASE("parse_mountinfo: fields, optional fields, octal escapes") {
  auto m = parse_mountinfo(
      "36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n"
      "30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
  REQUIRE(m.ok());
  REQUIRE(m->size() == 2);
  CHECK((*m)[0].mount_point == "/mnt two");
  CHECK((*m)[0].fstype == "ext3");
  CHECK((*m)[0].super_options == "rw,errors=continue");
  CHECK((*m)[1].fstype == "cgroup2");
  CHECK((*m)[1].root == "/");
}

TEST_CASE("parse_mountinfo: garbage and empty") {
  CHECK_FALSE(parse_mountinfo("").ok());
  CHECK_FALSE(parse_mountinfo("this is not mountinfo").ok());
  CHECK_FALSE(parse_mountinfo("a b c d e f g - h i j").ok());  // non-numeric ids
  CHECK_FALSE(parse_mountinfo("30 24 0:26 / /sys/fs/cgroup rw cgroup2 cgroup2 rw").ok());  // no separator
  auto err = parse_mountinfo("30 24 0:26 / /x rw - cgroup2\n");
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().find("line 1") != std::string::npos);
}

TEST_CASE("parse_proc_cgroup: v2 and v1 lines") {
  auto c = parse_proc_cgroup("12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/x\n0::/kubepods/pod1/c1\n");
  REQUIRE(c.ok());
  REQUIRE(c->size() == 4);
  CHECK((*c)[1].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK((*c)[3].hierarchy == 0);
  CHECK((*c)[3].controllers.empty());
  CHECK((*c)[3].path == "/kubepods/pod1/c1");
  // A path may contain colons.
  auto colon = parse_proc_cgroup("0::/a:b\n");
  REQUIRE(colon.ok());
  CHECK((*colon)[0].path == "/a:b");
  for (const char* bad : {"", "garbage", "0:/x", "x::/a", "0::relative", "-1::/"}) {
    CHECK_MESSAGE(!parse_proc_cgroup(bad).ok(), bad);
  }
}

TEST_CASE("detect_cgroup_layout: v2, hybrid, v1, none") {
  auto v2 = detect_cgroup_layout({{"/", "/sys/fs/cgroup", "cgroup2", "rw"}});
  REQUIRE(v2.ok());
  CHECK(v2->mode == CgroupMode::v2);
  auto hybrid = detect_cgroup_layout({{"/", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"},
                                      {"/", "/sys/fs/cgroup/unified", "cgroup2", "rw"}});
  REQUIRE(hybrid.ok());
  CHECK(hybrid->mode == CgroupMode::hybrid);
  auto v1 = detect_cgroup_layout({{"/", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"}});
  REQUIRE(v1.ok());
  CHECK(v1->mode == CgroupMode::v1);
  CHECK_FALSE(detect_cgroup_layout({{"/", "/proc", "proc", "rw"}}).ok());
  // cgroup2 somewhere else is not the node's hierarchy.
  CHECK_FALSE(detect_cgroup_layout({{"/", "/mnt/cg", "cgroup2", "rw"}}).ok());
}

TEST_CASE("limit parsers: max, numbers, garbage, huge") {
  CHECK_FALSE(parse_cgroup_limit("max\n")->has_value());
  CHECK(parse_cgroup_limit("1073741824\n")->value() == 1073741824);
  for (const char* bad : {"", "-1", "lots", "12k", "99999999999999999999999"}) CHECK_MESSAGE(!parse_cgroup_limit(bad).ok(), bad);
  CHECK_FALSE(parse_v1_bytes("9223372036854771712")->has_value());
  CHECK(parse_v1_bytes("268435456")->value() == 268435456);
  CHECK_FALSE(parse_v1_bytes("max").ok());
  auto cpu = parse_cpu_max("200000 100000\n");
  REQUIRE(cpu.ok());
  CHECK(cpu->quota_us.value() == 200000);
  CHECK(cpu->period_us == 100000);
  CHECK_FALSE(parse_cpu_max("max 100000")->quota_us.has_value());
  for (const char* bad : {"", "max", "200000", "lots 100000", "100000 0", "1 2 3", "-5 100000"}) CHECK_MESSAGE(!parse_cpu_max(bad).ok(), bad);
}

TEST_CASE("relative_cgroup_path: host view, bind-mounted container cgroup, cgroup namespace") {
  CHECK(*relative_cgroup_path("/", "/kubepods/pod1/c1") == "/kubepods/pod1/c1");
  CHECK(*relative_cgroup_path("/kubepods/pod1/c1", "/kubepods/pod1/c1") == "");
  CHECK(*relative_cgroup_path("/kubepods/pod1", "/kubepods/pod1/c1") == "/c1");
  CHECK(*relative_cgroup_path("/kubepods/pod1/c1", "/") == "");  // namespaced view
  CHECK(*relative_cgroup_path("/", "/") == "");
  CHECK_FALSE(relative_cgroup_path("/kubepods/pod1", "/kubepods/pod10").ok());  // not a path prefix
  CHECK_FALSE(relative_cgroup_path("/", "/../../user.slice").ok());
}

TEST_CASE("human_bytes") {
  CHECK(human_bytes(1073741824) == "1GiB");
  CHECK(human_bytes(536870912) == "512MiB");
  CHECK(human_bytes(1000) == "1000B");
  CHECK(human_bytes(1536) == "1536B");
  CHECK(human_bytes(3072) == "3KiB");
}

TEST_CASE("cgroup.version against fixtures") {
  auto v2 = run_check("cgroup.version", "cgroup/v2-limited");
  CHECK(v2.status == Status::pass);
  CHECK(v2.observed.find("v2") == 0);
  check_contract(v2);
  auto v1 = run_check("cgroup.version", "cgroup/v1");
  CHECK(v1.status == Status::warn);
  check_contract(v1);
  CHECK(v1.remediation.find("systemd.unified_cgroup_hierarchy=1") != std::string::npos);
  CHECK(run_check("cgroup.version", "cgroup/v1", {}, {{"require_v2", true}}).status == Status::fail);
  auto hybrid = run_check("cgroup.version", "cgroup/hybrid-root");
  CHECK(hybrid.status == Status::warn);
  CHECK(hybrid.observed.find("hybrid") == 0);
  CHECK(run_check("cgroup.version", "cgroup/garbage").status == Status::error);
  CHECK(run_check("cgroup.version", "cgroup/none").status == Status::error);
  CHECK(run_check("cgroup.version", "missing/tree").status == Status::error);
}

TEST_CASE("cgroup.memory against fixtures") {
  auto ok = run_check("cgroup.memory", "cgroup/v2-limited");
  CHECK(ok.status == Status::pass);
  CHECK(ok.observed.find("memory.max=1073741824") != std::string::npos);
  CHECK(ok.observed.find("cri-containerd-c1.scope") != std::string::npos);
  check_contract(ok);

  auto unlimited = run_check("cgroup.memory", "cgroup/v2-ns-loose");
  CHECK(unlimited.status == Status::warn);
  CHECK(unlimited.message.find("no memory limit") != std::string::npos);
  check_contract(unlimited);
  CHECK(run_check("cgroup.memory", "cgroup/v2-ns-loose", {}, {{"warn_if_unlimited", false}, {"warn_if_swap", false}}).status ==
        Status::pass);

  auto swap = run_check("cgroup.memory", "cgroup/v2-bindmount-swap");
  CHECK(swap.status == Status::warn);
  CHECK(swap.message.find("swap") != std::string::npos);
  CHECK(swap.message.find("memory.high 384MiB") != std::string::npos);
  check_contract(swap);

  auto v1 = run_check("cgroup.memory", "cgroup/v1");
  CHECK(v1.status == Status::pass);
  CHECK(v1.observed.find("memory.limit_in_bytes=268435456") != std::string::npos);

  auto root = run_check("cgroup.memory", "cgroup/v2-root");
  CHECK(root.status == Status::skip);
  CHECK(root.message.find("root memory cgroup") != std::string::npos);
  CHECK(run_check("cgroup.memory", "cgroup/hybrid-root").status == Status::skip);

  auto broken = run_check("cgroup.memory", "cgroup/v2-broken");
  CHECK(broken.status == Status::error);
  CHECK(broken.message.find("memory.max") != std::string::npos);
  CHECK(run_check("cgroup.memory", "cgroup/garbage").status == Status::error);
  CHECK(run_check("cgroup.memory", "missing/tree").status == Status::error);
}

TEST_CASE("cgroup.cpu against fixtures") {
  auto two = run_check("cgroup.cpu", "cgroup/v2-limited");
  CHECK(two.status == Status::pass);
  CHECK(two.message.find("2.00 CPU") != std::string::npos);
  auto half = run_check("cgroup.cpu", "cgroup/v2-ns-loose");
  CHECK(half.status == Status::warn);
  check_contract(half);
  CHECK(run_check("cgroup.cpu", "cgroup/v2-ns-loose", {}, {{"min_cpus", 0.5}}).status == Status::pass);
  CHECK(run_check("cgroup.cpu", "cgroup/v2-bindmount-swap").status == Status::pass);  // "max 100000"
  auto v1 = run_check("cgroup.cpu", "cgroup/v1");
  CHECK(v1.status == Status::pass);
  CHECK(v1.observed.find("cpu.cfs_quota_us=150000") != std::string::npos);
  CHECK(v1.observed.find("cpu,cpuacct") != std::string::npos);
  CHECK(run_check("cgroup.cpu", "cgroup/hybrid-root").status == Status::pass);  // -1 at the root
  CHECK(run_check("cgroup.cpu", "cgroup/v2-root").status == Status::skip);
  auto broken = run_check("cgroup.cpu", "cgroup/v2-broken");
  CHECK(broken.status == Status::error);
  CHECK(broken.message.find("lots") != std::string::npos);
}

TEST_CASE("cgroup.pids against fixtures") {
  CHECK(run_check("cgroup.pids", "cgroup/v2-limited").status == Status::pass);
  auto low = run_check("cgroup.pids", "cgroup/v2-ns-loose");
  CHECK(low.status == Status::warn);
  CHECK(low.message.find("256") != std::string::npos);
  check_contract(low);
  CHECK(run_check("cgroup.pids", "cgroup/v2-ns-loose", {}, {{"min", 128}}).status == Status::pass);
  CHECK(run_check("cgroup.pids", "cgroup/v2-limited", {}, {{"min", 8192}}).status == Status::warn);
  CHECK(run_check("cgroup.pids", "cgroup/v2-ns-loose", {}, {{"severity", "critical"}}).status == Status::warn);
  CHECK(run_check("cgroup.pids", "cgroup/v1").status == Status::pass);
  CHECK(run_check("cgroup.pids", "cgroup/hybrid-root").status == Status::skip);
  CHECK(run_check("cgroup.pids", "cgroup/v2-broken").status == Status::error);
  CHECK(run_check("cgroup.pids", "cgroup/none").status == Status::error);
}

// Injected as an init container, the check's own cgroup is the init container's (100m, 32Mi):
// with the app container's limits from the downward API, those are judged instead.
TEST_CASE("cgroup.cpu and cgroup.memory judge the app container's limits when injected") {
  const EnvMap app{{"GOPREFLIGHT_APP_CONTAINER", "api"},
                   {"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "2000"},
                   {"GOPREFLIGHT_APP_MEMORY_LIMIT", "536870912"}};
  // v2-ns-loose: own cgroup has a 0.5 CPU quota and no memory limit (both warn without the env).
  REQUIRE(run_check("cgroup.cpu", "cgroup/v2-ns-loose").status == Status::warn);
  REQUIRE(run_check("cgroup.memory", "cgroup/v2-ns-loose").status == Status::warn);
  auto cpu = run_check("cgroup.cpu", "cgroup/v2-ns-loose", app);
  CHECK(cpu.status == Status::pass);
  CHECK(cpu.message.find("2.00 CPU") != std::string::npos);
  CHECK(cpu.observed == "GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES=2000 (container api)");
  check_contract(cpu);
  auto mem = run_check("cgroup.memory", "cgroup/v2-ns-loose", app);
  CHECK(mem.status == Status::pass);
  CHECK(mem.message.find("512MiB") != std::string::npos);
  check_contract(mem);

  // The app's own small limit warns and names the app container, whatever the own cgroup says.
  const EnvMap small{{"GOPREFLIGHT_APP_CONTAINER", "api"},
                     {"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "250"},
                     {"GOPREFLIGHT_APP_MEMORY_LIMIT", "unlimited"}};
  REQUIRE(run_check("cgroup.cpu", "cgroup/v2-limited").status == Status::pass);  // own: 2 CPU
  auto low = run_check("cgroup.cpu", "cgroup/v2-limited", small);
  CHECK(low.status == Status::warn);
  CHECK(low.message.find("0.25 CPU") != std::string::npos);
  CHECK(low.remediation.find("containers[name=api]") != std::string::npos);
  check_contract(low);
  CHECK(run_check("cgroup.cpu", "cgroup/v2-limited", small, {{"min_cpus", 0.25}}).status == Status::pass);
  auto unlimited = run_check("cgroup.memory", "cgroup/v2-limited", small);  // own: 1GiB
  CHECK(unlimited.status == Status::warn);
  CHECK(unlimited.message.find("app container api has no memory limit") != std::string::npos);
  check_contract(unlimited);
  CHECK(run_check("cgroup.cpu", "cgroup/v2-limited", {{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "unlimited"}}).status ==
        Status::pass);
  // The env wins even where the own cgroup is unreadable.
  CHECK(run_check("cgroup.cpu", "missing/tree", app).status == Status::pass);

  // Malformed values are errors naming the variable, never a pass.
  for (const char* bad : {"", "2 CPUs", "-5", "0"}) {
    auto e = run_check("cgroup.cpu", "cgroup/v2-limited", {{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", bad}});
    CHECK_MESSAGE(e.status == Status::error, bad);
    CHECK(e.message.find("GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES") != std::string::npos);
    auto m = run_check("cgroup.memory", "cgroup/v2-limited", {{"GOPREFLIGHT_APP_MEMORY_LIMIT", bad}});
    CHECK_MESSAGE(m.status == Status::error, bad);
  }
}
