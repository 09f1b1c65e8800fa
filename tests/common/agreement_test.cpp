// The two programs agree: for every memory limit from 1 MiB to 1 TiB and every ratio the policy
// allows (goRuntime.gomemlimitRatio: above 0, below 1), the GOMEMLIMIT the webhook's injector sets
// (the JSONPatch of /mutate with setGoEnv) is the string gopreflight-check recommends for the same
// limit (its go.gomemlimit check, limit given by the downward-API env the injector wires up).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/initcheck/check.hpp"
#include "gopreflight/initcheck/report.hpp"
#include "gopreflight/webhook/mutate.hpp"

using nlohmann::json;
namespace ic = gopreflight::initcheck;
namespace mut = gopreflight::webhook::mutate;

namespace {

class NoClock final : public ic::ClockSource {
 public:
  gopreflight::Result<ic::ClockReading> adjtimex() const override { return gopreflight::fail("no clock here"); }
};

/// The GOMEMLIMIT value /mutate adds to a Go container with this memory limit.
std::string injected(std::int64_t limit, double ratio) {
  gopreflight::webhook::Injection inj;
  inj.enabled = true;
  inj.namespaces = {"shop"};
  inj.set_go_env = true;
  inj.gomemlimit_ratio = ratio;
  const json pod = {{"metadata", {{"namespace", "shop"}}},
                    {"spec", {{"containers", json::array({{{"name", "api"},
                                                           {"image", "api:1"},
                                                           {"resources", {{"limits", {{"memory", std::to_string(limit)}}}}}}})}}}};
  const mut::PatchResult r = mut::build_patch(pod, "shop", inj);
  REQUIRE(r.error.empty());
  const json patched = pod.patch(r.patch);
  for (const auto& e : patched.at("spec").at("containers").at(0).at("env")) {
    if (e.at("name") == "GOMEMLIMIT") return e.at("value").get<std::string>();
  }
  FAIL("no GOMEMLIMIT injected for limit " << limit);
  return {};
}

/// The GOMEMLIMIT gopreflight-check recommends ("Set GOMEMLIMIT=<value>." in its warning).
std::string recommended(std::int64_t limit, double ratio) {
  const ic::CheckDef* def = ic::find_check("go.gomemlimit");
  REQUIRE(def != nullptr);
  ic::HostReader host(ic::HostPaths{"/nonexistent/proc", "/nonexistent/sys"});
  NoClock clock;
  const ic::EnvMap env = {{"GOPREFLIGHT_APP_CONTAINER", "api"}, {"GOPREFLIGHT_APP_MEMORY_LIMIT", std::to_string(limit)}};
  ic::Context ctx{host, clock, env};
  const json overrides = {{"ratio", ratio}, {"max_ratio", 1.0}};
  const ic::CheckResult r = ic::run_one(*def, ctx, ic::effective_settings(*def, &overrides));
  const std::string key = "Set GOMEMLIMIT=";
  const auto at = r.message.find(key);
  REQUIRE_MESSAGE(at != std::string::npos, r.message);
  const auto end = r.message.find(".", at + key.size());
  REQUIRE(end != std::string::npos);
  return r.message.substr(at + key.size(), end - at - key.size());
}

}  // namespace

TEST_CASE("the webhook's GOMEMLIMIT equals gopreflight-check's recommendation, 1 MiB to 1 TiB") {
  CHECK(injected(5LL << 20, 0.9) == "4608KiB");  // the case that differed: the check said 4MiB
  CHECK(recommended(5LL << 20, 0.9) == "4608KiB");

  std::vector<std::int64_t> limits;
  for (std::int64_t p = 1LL << 20; p <= 1LL << 40; p <<= 1) {
    for (std::int64_t m : {p, p + p / 2, p * 3 / 4 + 12345, p - 1}) {
      if (m >= (1LL << 20) && m <= (1LL << 40)) limits.push_back(m);
    }
  }
  for (std::int64_t d = 1000000; d <= 1000000000000LL; d *= 10) limits.push_back(d);  // 1M .. 1T decimal
  std::vector<double> ratios;
  for (int i = 1; i <= 99; ++i) ratios.push_back(i / 100.0);
  for (double r : {0.001, 0.333333, 0.9049, 0.95, 0.999, 0.9999}) ratios.push_back(r);

  std::size_t compared = 0, differ = 0;
  for (std::int64_t limit : limits) {
    for (double ratio : ratios) {
      const std::string a = injected(limit, ratio), b = recommended(limit, ratio);
      ++compared;
      if (a != b) {
        ++differ;
        if (differ <= 20) FAIL_CHECK("limit " << limit << " ratio " << ratio << ": webhook " << a << ", check " << b);
      }
    }
  }
  MESSAGE(compared << " limit/ratio pairs compared");
  CHECK(compared > 9000);
  CHECK(differ == 0);
}
