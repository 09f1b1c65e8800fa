#include <set>
#include <stdexcept>

#include "fixture.hpp"

using namespace gptest;

namespace {
std::vector<CheckDef> toy_catalog() {
  std::vector<CheckDef> cat;
  CheckDef ok;
  ok.id = "toy.ok";
  ok.scope = "node";
  ok.defaults = {{"limit", 10}, {"ratio", 0.5}, {"name", "x"}, {"on", true}, {"list", {"a"}}};
  ok.run = [](const Context&, const nlohmann::json& s) {
    CheckResult r;
    r.id = "toy.ok";
    r.status = s.value("limit", 0) > 5 ? Status::pass : Status::fail;
    if (auto it = s.find("severity"); it != s.end()) r.severity = *parse_severity(it->get<std::string>());
    r.message = "toy";
    return r;
  };
  cat.push_back(ok);
  CheckDef boom;
  boom.id = "toy.boom";
  boom.scope = "pod";
  boom.run = [](const Context&, const nlohmann::json&) -> CheckResult { throw std::runtime_error("kaboom"); };
  cat.push_back(boom);
  return cat;
}
}  // namespace

TEST_CASE("run_one: an exception becomes an error result naming the check") {
  auto cat = toy_catalog();
  HostReader host(HostPaths{"/nonexistent", "/nonexistent"});
  NoClock clock;
  EnvMap env;
  Context ctx{host, clock, env};
  auto r = run_one(cat[1], ctx, cat[1].defaults);
  CHECK(r.status == Status::error);
  CHECK(r.id == "toy.boom");
  CHECK(r.scope == "pod");
  CHECK(r.message.find("kaboom") != std::string::npos);
  CHECK(r.duration_ms >= 0);
}

TEST_CASE("selection, overrides and severity") {
  auto cat = toy_catalog();
  HostReader host(HostPaths{"/nonexistent", "/nonexistent"});
  NoClock clock;
  EnvMap env;
  Context ctx{host, clock, env};
  auto all = run_catalog(cat, ctx, {}, {});
  REQUIRE(all.size() == 2);
  CHECK(all[0].status == Status::pass);
  auto only = run_catalog(cat, ctx, Selection{{"toy.boom"}, {}}, {});
  REQUIRE(only.size() == 1);
  CHECK(only[0].id == "toy.boom");
  CHECK(run_catalog(cat, ctx, Selection{{}, {"toy.boom"}}, {}).size() == 1);
  SettingsOverrides ov{{"toy.ok", {{"limit", 1}}}};
  CHECK(run_catalog(cat, ctx, Selection{{"toy.ok"}, {}}, ov)[0].status == Status::fail);
  ov["toy.ok"]["severity"] = "warning";
  CHECK(run_catalog(cat, ctx, Selection{{"toy.ok"}, {}}, ov)[0].status == Status::warn);
}

TEST_CASE("validate_ids: unknown ids name the option; probes once configured") {
  auto cat = toy_catalog();
  CHECK(validate_ids(cat, {}, {"toy.ok"}, "--skip").ok());
  auto bad = validate_ids(cat, {}, {"toy.nope"}, "--skip");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("--skip") == 0);
  CHECK(bad.error().find("toy.nope") != std::string::npos);
  CHECK_FALSE(validate_ids(cat, {}, {"probe.db"}, "--only").ok());
  CHECK(validate_ids(cat, {"db"}, {"probe.db"}, "--only").ok());
  CHECK(validate_ids(builtin_checks(), {}, {"kernel.version", "cgroup.pids", "go.gomemlimit"}, "--skip").ok());
}

TEST_CASE("validate_settings: keys and types") {
  auto cat = toy_catalog();
  CHECK(validate_settings(cat[0], {{"limit", 3}, {"ratio", 1}, {"name", "y"}, {"on", false}, {"list", {"b"}}}).ok());
  CHECK(validate_settings(cat[0], {{"severity", "warning"}}).ok());
  CHECK_FALSE(validate_settings(cat[0], {{"severity", "fatal"}}).ok());
  CHECK_FALSE(validate_settings(cat[0], {{"limit", "3"}}).ok());
  CHECK_FALSE(validate_settings(cat[0], {{"limit", 3.5}}).ok());
  CHECK_FALSE(validate_settings(cat[0], {{"on", 1}}).ok());
  CHECK_FALSE(validate_settings(cat[0], {{"list", "a"}}).ok());
  auto unknown = validate_settings(cat[0], {{"lmit", 3}});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().find("lmit") != std::string::npos);
}

TEST_CASE("summary and the exit-code contract") {
  Report rep;
  auto add = [&](Status s) {
    CheckResult r;
    r.id = "x";
    r.status = s;
    rep.checks.push_back(r);
  };
  add(Status::pass);
  add(Status::skip);
  CHECK(exit_code(rep) == 0);
  add(Status::warn);
  add(Status::error);
  CHECK(exit_code(rep) == 0);
  rep.strict = true;
  CHECK(exit_code(rep) == 1);
  rep.strict = false;
  add(Status::fail);
  CHECK(exit_code(rep) == 1);
  auto s = summarize(rep);
  CHECK(s.total == 5);
  CHECK(s.pass == 1);
  CHECK(s.warn == 1);
  CHECK(s.fail == 1);
  CHECK(s.skip == 1);
  CHECK(s.error == 1);
}

TEST_CASE("catalog: unique ids, defaults are objects, every check documented") {
  std::set<std::string> ids;
  for (const auto& d : builtin_checks()) {
    CHECK_MESSAGE(ids.insert(d.id).second, d.id);
    CHECK(d.defaults.is_object());
    CHECK_FALSE(d.explain.empty());
    CHECK_FALSE(d.scope.empty());
    CHECK(static_cast<bool>(d.run));
  }
  for (const char* mine : {"kernel.version", "cgroup.version", "cgroup.memory", "cgroup.cpu", "cgroup.pids",
                           "go.gomemlimit", "go.gomaxprocs"}) {
    CHECK_MESSAGE(find_check(mine) != nullptr, mine);
  }
}

TEST_CASE("no check in the catalog passes on a tree where nothing can be read") {
  const std::string empty = std::string(GOPREFLIGHT_FIXTURES) + "/does-not-exist";
  HostReader host(HostPaths{empty + "/proc", empty + "/sys"});
  NoClock clock;
  EnvMap env;
  Context ctx{host, clock, env};
  for (const auto& r : run_catalog(builtin_checks(), ctx, {}, {})) {
    INFO(r.id << ": " << r.message);
    CHECK(r.status != Status::pass);
    CHECK(r.status != Status::fail);  // "could not read" is error (or skip with a reason), not fail
    CHECK_FALSE(r.message.empty());
  }
}
