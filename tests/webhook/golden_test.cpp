// Golden AdmissionReviews: tests/testdata/admission/<case>.request.json through Engine::validate,
// compared structurally with <case>.response.json. GOPREFLIGHT_UPDATE_GOLDEN=1 (exactly "1"; "0",
// empty or unset compare) rewrites the expected files (review the diff before committing them).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "helpers.hpp"

using namespace gp_test;
namespace fs = std::filesystem;

namespace {

/// The policy the goldens are judged with (also described in tests/testdata/admission/README.md).
std::shared_ptr<const Policy> golden_policy() {
  auto p = std::make_shared<Policy>();
  Policy::PodSecurity ps;
  ps.level = pss::Level::baseline;
  ps.version = *pss::Version::parse("v1.30");
  p->pod_security = ps;
  RequiredSysctl port;
  port.name = "net.ipv4.ip_local_port_range";
  port.equals = "1024 65535";
  RequiredSysctl somaxconn;
  somaxconn.name = "net.core.somaxconn";
  somaxconn.min = 1024;
  somaxconn.mode = Mode::warn;
  p->required_sysctls = {port, somaxconn};
  p->go_runtime = Policy::GoRuntime{};
  Policy::SecurityContextRule sc;
  sc.read_only_root_filesystem = true;
  sc.mode = Mode::audit;
  p->security_context = sc;
  Policy::InitCheckRequired ic;
  ic.namespaces = {"checked"};
  p->init_check = ic;
  p->exemptions.namespaces = {"kube-system"};
  p->exemptions.usernames = {"system:serviceaccount:kube-system:break-glass"};
  p->exemptions.runtime_classes = {"gvisor"};
  return p;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_SUITE("golden") {
  TEST_CASE("AdmissionReview responses match the goldens") {
    const fs::path dir = GP_ADMISSION_TESTDATA;
    std::vector<fs::path> requests;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (name.size() > 13 && name.ends_with(".request.json")) requests.push_back(e.path());
    }
    std::sort(requests.begin(), requests.end());
    REQUIRE(requests.size() >= 15);
    const char* update_env = std::getenv("GOPREFLIGHT_UPDATE_GOLDEN");
    const bool update = update_env != nullptr && std::string_view(update_env) == "1";
    const Engine engine(golden_policy());
    for (const auto& req : requests) {
      const std::string name = req.filename().string();
      const std::string base = name.substr(0, name.size() - 13);
      CAPTURE(base);
      const auto out = engine.validate(read_file(req));
      json actual = {{"http_status", out.http_status}, {"allowed", out.allowed}, {"rules_hit", out.rules_hit}};
      if (out.http_status == 200) {
        actual["body"] = json::parse(out.body);
      } else {
        actual["error"] = out.error;
      }
      const fs::path expected_path = dir / (base + ".response.json");
      if (update) {
        std::ofstream(expected_path) << actual.dump(2) << "\n";
        continue;
      }
      REQUIRE_MESSAGE(fs::exists(expected_path), "missing golden " << expected_path.string());
      const json expected = json::parse(read_file(expected_path));
      CHECK_MESSAGE(actual == expected, "diff (expected -> actual): " << json::diff(expected, actual).dump());
    }
  }
}
