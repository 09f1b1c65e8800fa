#include "checks/go_parse.hpp"
#include "fixture.hpp"

using namespace gptest;
using namespace gopreflight::initcheck::checks;

// GOMEMLIMIT/GOMAXPROCS syntax and recommendations are the common library's: tests/common.

TEST_CASE("downward-API values") {
  CHECK_FALSE(parse_downward_limit("unlimited")->has_value());
  CHECK(parse_downward_limit("1073741824")->value() == 1073741824);
  for (const char* bad : {"", "1Gi", "-1", "none"}) CHECK_MESSAGE(!parse_downward_limit(bad).ok(), bad);
}

namespace {
EnvMap app(std::initializer_list<std::pair<const std::string, std::string>> kv) {
  EnvMap e{{"GOPREFLIGHT_APP_CONTAINER", "api"}};
  for (const auto& [k, v] : kv) e[k] = v;
  return e;
}
constexpr const char* kNoTree = "missing/tree";  // env-driven cases must not need the cgroup
}  // namespace

TEST_CASE("go.gomemlimit from downward-API env") {
  auto unset = run_check("go.gomemlimit", kNoTree, app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1073741824"}}));
  CHECK(unset.status == Status::warn);
  CHECK(unset.message.find("GOMEMLIMIT=922MiB") != std::string::npos);
  CHECK(unset.remediation.find("{name: GOMEMLIMIT, value: \"922MiB\"}") != std::string::npos);
  CHECK(unset.remediation.find("containers[name=api]") != std::string::npos);
  CHECK(unset.observed.find("GOPREFLIGHT_APP_MEMORY_LIMIT=1073741824") != std::string::npos);
  CHECK(unset.scope == "pod");
  check_contract(unset);

  auto good = run_check("go.gomemlimit", kNoTree,
                        app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1073741824"}, {"GOPREFLIGHT_APP_GOMEMLIMIT", "900MiB"}}));
  CHECK(good.status == Status::pass);
  check_contract(good);

  auto over = run_check("go.gomemlimit", kNoTree,
                        app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1073741824"}, {"GOPREFLIGHT_APP_GOMEMLIMIT", "2GiB"}}));
  CHECK(over.status == Status::fail);
  CHECK(over.message.find("exceeds the memory limit 1GiB") != std::string::npos);
  check_contract(over);

  auto tight = run_check("go.gomemlimit", kNoTree,
                         app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1073741824"}, {"GOPREFLIGHT_APP_GOMEMLIMIT", "1GiB"}}));
  CHECK(tight.status == Status::warn);

  auto off = run_check("go.gomemlimit", kNoTree,
                       app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1073741824"}, {"GOPREFLIGHT_APP_GOMEMLIMIT", "off"}}));
  CHECK(off.status == Status::warn);
  CHECK(off.message.find("off") != std::string::npos);

  auto malformed = run_check("go.gomemlimit", kNoTree,
                             app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1073741824"}, {"GOPREFLIGHT_APP_GOMEMLIMIT", "1GB"}}));
  CHECK(malformed.status == Status::fail);
  check_contract(malformed);

  auto no_limit = run_check("go.gomemlimit", kNoTree, app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "unlimited"}}));
  CHECK(no_limit.status == Status::warn);
  CHECK(run_check("go.gomemlimit", kNoTree,
                  app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "unlimited"}, {"GOPREFLIGHT_APP_GOMEMLIMIT", "512MiB"}}))
            .status == Status::pass);

  auto garbage = run_check("go.gomemlimit", kNoTree, app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1Gi"}}));
  CHECK(garbage.status == Status::error);
  CHECK(garbage.message.find("GOPREFLIGHT_APP_MEMORY_LIMIT") != std::string::npos);
  CHECK(run_check("go.gomemlimit", kNoTree, app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "0"}})).status == Status::error);

  CHECK(run_check("go.gomemlimit", kNoTree, app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1073741824"}}), {{"ratio", 0.8}})
            .message.find("GOMEMLIMIT=819MiB") != std::string::npos);
  CHECK(run_check("go.gomemlimit", kNoTree, app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1073741824"}}), {{"ratio", 1.5}})
            .status == Status::error);
  CHECK(run_check("go.gomemlimit", kNoTree, app({{"GOPREFLIGHT_APP_MEMORY_LIMIT", "1073741824"}}),
                  {{"warn_if_unset", false}})
            .status == Status::pass);
}

TEST_CASE("go.gomemlimit falls back to the own cgroup and says so") {
  auto r = run_check("go.gomemlimit", "go/fallback-v2");
  // memory.high (768MiB) is below memory.max (1GiB): the recommendation derives from it.
  CHECK(r.status == Status::warn);
  CHECK(r.observed.find("not set: own cgroup") != std::string::npos);
  CHECK(r.message.find("GOMEMLIMIT=691MiB") != std::string::npos);
  auto missing = run_check("go.gomemlimit", kNoTree);
  CHECK(missing.status == Status::error);
  CHECK(run_check("go.gomemlimit", "cgroup/v2-root").status == Status::warn);  // no limit found
}

TEST_CASE("go.gomaxprocs") {
  auto unset = run_check("go.gomaxprocs", kNoTree, app({{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "1500"}}));
  CHECK(unset.status == Status::warn);
  CHECK(unset.message.find("Go 1.25") != std::string::npos);
  CHECK(unset.remediation.find("{name: GOMAXPROCS, value: \"2\"}") != std::string::npos);
  check_contract(unset);

  auto over = run_check("go.gomaxprocs", kNoTree,
                        app({{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "1500"}, {"GOPREFLIGHT_APP_GOMAXPROCS", "8"}}));
  CHECK(over.status == Status::warn);
  CHECK(over.message.find("exceeds") != std::string::npos);
  CHECK(run_check("go.gomaxprocs", kNoTree,
                  app({{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "1500"}, {"GOPREFLIGHT_APP_GOMAXPROCS", "2"}}))
            .status == Status::pass);
  CHECK(run_check("go.gomaxprocs", kNoTree,
                  app({{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "250"}, {"GOPREFLIGHT_APP_GOMAXPROCS", "1"}}))
            .status == Status::pass);
  CHECK(run_check("go.gomaxprocs", kNoTree,
                  app({{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "1500"}, {"GOPREFLIGHT_APP_GOMAXPROCS", "many"}}))
            .status == Status::warn);
  CHECK(run_check("go.gomaxprocs", kNoTree, app({{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "unlimited"}})).status ==
        Status::pass);
  CHECK(run_check("go.gomaxprocs", kNoTree, app({{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "1.5"}})).status ==
        Status::error);
  CHECK(run_check("go.gomaxprocs", kNoTree, app({{"GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES", "1500"}}),
                  {{"warn_if_unset", false}})
            .status == Status::pass);
  // Fallback: cpu.max "150000 100000" -> 2.
  auto fb = run_check("go.gomaxprocs", "go/fallback-v2");
  CHECK(fb.status == Status::warn);
  CHECK(fb.observed.find("cpu limit 1500m") == 0);
  CHECK(fb.observed.find("not set: own cgroup") != std::string::npos);
  CHECK(run_check("go.gomaxprocs", "cgroup/v1").observed.find("cpu limit 1500m") == 0);
  CHECK(run_check("go.gomaxprocs", kNoTree).status == Status::error);
  CHECK(run_check("go.gomaxprocs", "cgroup/v2-broken").status == Status::error);
}
