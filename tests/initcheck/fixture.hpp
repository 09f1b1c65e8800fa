#pragma once
// Test helpers: fixture roots, a fake adjtimex, and running one catalog check by id.
#include <doctest/doctest.h>

#include <string>

#include "gopreflight/initcheck/check.hpp"
#include "gopreflight/initcheck/report.hpp"

namespace gptest {

using namespace gopreflight;
using namespace gopreflight::initcheck;

inline HostPaths fixture(const std::string& rel) {
  const std::string root = std::string(GOPREFLIGHT_FIXTURES) + "/" + rel;
  return HostPaths{root + "/proc", root + "/sys"};
}

class NoClock final : public ClockSource {
 public:
  Result<ClockReading> adjtimex() const override { return fail("no clock in unit tests"); }
};

/// Runs catalog check `id` against a fixture tree with `env` and optional setting overrides.
inline CheckResult run_check(const std::string& id, const std::string& fixture_rel, const EnvMap& env = {},
                             const nlohmann::json& overrides = nlohmann::json::object()) {
  const CheckDef* def = find_check(id);
  REQUIRE_MESSAGE(def != nullptr, id);
  HostReader host(fixture(fixture_rel));
  NoClock clock;
  Context ctx{host, clock, env};
  return run_one(*def, ctx, effective_settings(*def, &overrides));
}

/// Every warn/fail needs a remediation and every result an observed value and message.
inline void check_contract(const CheckResult& r) {
  CHECK_FALSE(r.message.empty());
  CHECK_FALSE(r.observed.empty());
  if (r.status == Status::warn || r.status == Status::fail) CHECK_FALSE(r.remediation.empty());
}

}  // namespace gptest
