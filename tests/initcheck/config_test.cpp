#include <fstream>
#include <sstream>

#include "fixture.hpp"
#include "gopreflight/initcheck/config.hpp"

using namespace gptest;

namespace {
std::string slurp(const std::string& rel) {
  std::ifstream in(std::string(GOPREFLIGHT_FIXTURES) + "/config/" + rel);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
Result<Config> parse_fixture(const std::string& rel) {
  return parse_config(slurp(rel), rel, builtin_checks());
}
Result<Config> parse_text(const std::string& text) { return parse_config(text, "c.yaml", builtin_checks()); }
}  // namespace

TEST_CASE("parse_duration") {
  CHECK(parse_duration("2s")->count() == 2000);
  CHECK(parse_duration("500ms")->count() == 500);
  CHECK(parse_duration("1m30s")->count() == 90000);
  CHECK(parse_duration("1.5s")->count() == 1500);
  CHECK(parse_duration("1h")->count() == 3600000);
  CHECK(parse_duration("0s")->count() == 0);
  for (const char* bad : {"", "2", "2 s", "2sec", "-1s", "s", "1..5s", "25h", "10 minutes"}) {
    CHECK_MESSAGE(!parse_duration(bad).ok(), bad);
  }
  CHECK(parse_duration("2").error().find("missing unit") != std::string::npos);
}

TEST_CASE("a valid config") {
  auto c = parse_fixture("valid.yaml");
  if (!c.ok()) FAIL(c.error());
  CHECK(c->checks.at("kernel.version")["min_version"] == "5.10");
  CHECK(c->checks.at("kernel.version")["severity"] == "warning");
  CHECK(c->checks.at("cgroup.version")["require_v2"] == true);
  CHECK(c->checks.at("cgroup.cpu")["min_cpus"].is_number_float());
  CHECK(c->checks.at("cgroup.cpu")["min_cpus"] == 2.0);
  CHECK(c->checks.at("cgroup.pids")["min"] == 2048);
  CHECK(c->skip == std::vector<std::string>{"cgroup.memory"});
  CHECK(c->strict == false);
  REQUIRE(c->probes.size() == 1);
  CHECK(c->probes[0].name == "cache");
  CHECK(c->probes[0].timeout.count() == 500);
  CHECK(c->probe_deadline->count() == 1000);
  CHECK(c->probe_interval->count() == 200);
}

TEST_CASE("empty config is valid") {
  auto c = parse_text("");
  REQUIRE(c.ok());
  CHECK(c->checks.empty());
  CHECK(parse_text("# only a comment\n").ok());
}

TEST_CASE("config errors name FILE:LINE:COL") {
  struct Case { const char* file; const char* prefix; const char* words; };
  const Case cases[] = {
      {"unknown-key.yaml", "unknown-key.yaml:3:1: ", "unknown key \"skipp\""},
      {"unknown-check.yaml", "unknown-check.yaml:3:3: ", "unknown check id \"kernel.versoin\""},
      {"unknown-setting.yaml", "unknown-setting.yaml:2:17: ", "unknown setting \"minimum\""},
      {"wrong-type.yaml", "wrong-type.yaml:3:10: ", "must be an integer, got \"lots\""},
      {"wrong-type-bool.yaml", "wrong-type-bool.yaml:2:32: ", "must be bool"},
      {"bad-severity.yaml", "bad-severity.yaml:2:26: ", "\"warning\" or \"critical\""},
      {"bad-duration.yaml", "bad-duration.yaml:4:14: ", "missing unit"},
      {"bad-deadline.yaml", "bad-deadline.yaml:1:16: ", "probeDeadline"},
      {"syntax.yaml", "syntax.yaml:3:", "YAML syntax error"},
      {"skip-unknown.yaml", "skip-unknown.yaml:3:5: ", "unknown check id \"nope.nothing\""},
      {"not-a-map.yaml", "not-a-map.yaml:1:1: ", "top level must be a map"},
  };
  for (const auto& c : cases) {
    auto r = parse_fixture(c.file);
    REQUIRE_MESSAGE(!r.ok(), c.file);
    INFO(r.error());
    CHECK(r.error().rfind(c.prefix, 0) == 0);
    CHECK(r.error().find(c.words) != std::string::npos);
  }
}

TEST_CASE("config type rules") {
  CHECK_FALSE(parse_text("checks:\n  cgroup.pids: {min: 1.5}\n").ok());        // float for int
  CHECK(parse_text("checks:\n  cgroup.cpu: {min_cpus: 2}\n").ok());             // int for float
  CHECK_FALSE(parse_text("checks:\n  cgroup.pids: {min: \"1024\"}\n").ok());    // quoted string for int
  CHECK_FALSE(parse_text("checks:\n  cgroup.pids: {min: [1]}\n").ok());         // list for int
  CHECK_FALSE(parse_text("checks:\n  cgroup.pids: 5\n").ok());                  // settings not a map
  CHECK_FALSE(parse_text("checks: [a]\n").ok());
  CHECK_FALSE(parse_text("strict: maybe\n").ok());
  CHECK_FALSE(parse_text("skip: swap\n").ok());
  CHECK_FALSE(parse_text("checks:\n  cgroup.pids: {min: 1}\n  cgroup.pids: {min: 2}\n").ok());  // duplicate
  CHECK_FALSE(parse_text("probes:\n  - {name: a}\n").ok());                                   // no url
  CHECK_FALSE(parse_text("probes:\n  - {name: a, url: \"tcp://127.0.0.1:1\", colour: red}\n").ok());
  CHECK_FALSE(parse_text("probes:\n  - {name: a, url: \"gopher://x\"}\n").ok());
  CHECK_FALSE(parse_text("probes:\n  - {name: a, url: \"tcp://127.0.0.1:1\"}\n  - {name: a, url: \"tcp://127.0.0.1:2\"}\n").ok());
  auto skip_probe = parse_text("probes:\n  - {name: db, url: \"tcp://127.0.0.1:1\"}\nskip: [probe.db]\n");
  CHECK(skip_probe.ok());
  CHECK(parse_text("skip: [probe.db]\n").ok());  // may name a --probe probe: the CLI validates it
  auto deep = std::string(5000, '[') + std::string(5000, ']');
  CHECK_FALSE(parse_text(deep).ok());
}

TEST_CASE("load_config on a missing file") {
  auto r = load_config("/nonexistent/gopreflight.yaml", builtin_checks());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().rfind("/nonexistent/gopreflight.yaml: cannot read", 0) == 0);
}
