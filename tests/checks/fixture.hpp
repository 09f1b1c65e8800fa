#pragma once
// Runs catalog checks against a fixture tree tests/fixtures/<area>/<case>/{proc,sys}.
#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "gopreflight/initcheck/check.hpp"

namespace gp_test {

using namespace gopreflight::initcheck;

/// A ClockSource returning a fixed reading or error.
class FakeClock final : public ClockSource {
 public:
  explicit FakeClock(gopreflight::Result<ClockReading> r) : r_(std::move(r)) {}
  gopreflight::Result<ClockReading> adjtimex() const override { return r_; }

 private:
  gopreflight::Result<ClockReading> r_;
};

inline std::filesystem::path fixture(const std::string& rel) {
  return std::filesystem::path(GOPREFLIGHT_FIXTURES) / rel;
}

/// Runs check `id` with its defaults patched by `overrides` against fixture `rel`.
inline CheckResult run(const std::string& id, const std::string& rel,
                       const nlohmann::json& overrides = nlohmann::json::object(),
                       const ClockSource* clock = nullptr, std::size_t max_bytes = 1u << 20) {
  const CheckDef* def = find_check(id);
  REQUIRE_MESSAGE(def != nullptr, "no check " << id);
  nlohmann::json settings = def->defaults;
  if (overrides.is_object()) settings.merge_patch(overrides);
  HostReader host(HostPaths{fixture(rel) / "proc", fixture(rel) / "sys"}, max_bytes);
  static const FakeClock unsynced(ClockReading{5, 16000000, 16000000, 0, 0x40});
  const EnvMap env;
  Context ctx{host, clock ? *clock : unsynced, env};
  return def->run(ctx, settings);
}

/// Every warn/fail carries a remediation, every result an observed value naming its source.
inline void check_contract(const CheckResult& r) {
  CAPTURE(r.id);
  CAPTURE(r.message);
  CHECK_FALSE(r.observed.empty());
  CHECK_FALSE(r.message.empty());
  CHECK_FALSE(r.expected.empty());
  if (r.status == Status::warn || r.status == Status::fail) CHECK_FALSE(r.remediation.empty());
}

}  // namespace gp_test
