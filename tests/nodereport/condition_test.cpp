// node-report's pure parts: the GoReady condition and the bodies sent to the apiserver.
#include <chrono>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "nodereport/condition.hpp"

using namespace gopreflight::initcheck;
using namespace gopreflight::initcheck::nodereport;
using nlohmann::json;

namespace {

CheckResult result(std::string id, Status s, std::string observed = "", std::string expected = "",
                   std::string message = "") {
  CheckResult r;
  r.id = std::move(id);
  r.status = s;
  r.observed = std::move(observed);
  r.expected = std::move(expected);
  r.message = std::move(message);
  return r;
}

const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1764637200));  // 2025-12-02T01:00:00Z

}  // namespace

TEST_CASE("rfc3339 and camel_case") {
  CHECK(rfc3339(t0) == "2025-12-02T01:00:00Z");
  CHECK(rfc3339(t0 + std::chrono::milliseconds(1999)) == "2025-12-02T01:00:01Z");
  CHECK(camel_case("thp.enabled") == "ThpEnabled");
  CHECK(camel_case("sysctl.fs.file-max") == "SysctlFsFileMax");
  CHECK(camel_case("sysctl.vm.max_map_count") == "SysctlVmMaxMapCount");
  CHECK(camel_case("kernel.pid_max") == "KernelPidMax");
  CHECK(camel_case("9lives") == "Check9lives");
  CHECK(camel_case("...") == "Check");
  CHECK(camel_case("a b/c") == "Abc");
}

TEST_CASE("node_wide_ids: only scope node, catalog order; the real catalog has some and no pod-scoped ones") {
  std::vector<CheckDef> cat(3);
  cat[0].id = "a"; cat[0].scope = "node";
  cat[1].id = "b"; cat[1].scope = "container";
  cat[2].id = "c"; cat[2].scope = "node";
  CHECK(node_wide_ids(cat) == std::vector<std::string>{"a", "c"});
  const auto ids = node_wide_ids(builtin_checks());
  CHECK(ids.size() >= 10);
  for (const auto& id : ids) {
    CHECK(find_check(id)->scope == "node");
  }
  CHECK(std::find(ids.begin(), ids.end(), "cgroup.memory") == ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "go.gomemlimit") == ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "thp.enabled") != ids.end());
}

TEST_CASE("status: False on a fail, Unknown on an error only, True otherwise; reason from the first") {
  SUBCASE("all pass, a skip and a warning") {
    auto c = build_condition({result("a.x", Status::pass), result("b.y", Status::skip),
                              result("c.z", Status::warn, "7 (/proc/c)", ">= 8")},
                             false, std::nullopt, t0);
    CHECK(c.type == "gopreflight.io/GoReady");
    CHECK(c.status == "True");
    CHECK(c.reason == "NodeChecksPassed");
    CHECK(c.message == "1 of 3 node-wide checks passed, 1 warning: c.z: observed 7 (/proc/c), expected >= 8");
  }
  SUBCASE("a warning under strict is a failure") {
    auto c = build_condition({result("a.x", Status::pass), result("c.z", Status::warn, "7", ">= 8")}, true,
                             std::nullopt, t0);
    CHECK(c.status == "False");
    CHECK(c.reason == "CZ");
  }
  SUBCASE("fails: every failing one named with observed and expected, unreadable ones after") {
    auto c = build_condition({result("clock.sync", Status::error, "", "", "adjtimex: EPERM"),
                              result("thp.enabled", Status::fail, "always (/sys/kernel/mm/transparent_hugepage/enabled)",
                                     "one of [madvise, never]"),
                              result("kernel.pid_max", Status::fail, "32768 (/proc/sys/kernel/pid_max)", ">= 65536"),
                              result("swap", Status::pass)},
                             false, std::nullopt, t0);
    CHECK(c.status == "False");
    CHECK(c.reason == "ThpEnabled");
    CHECK(c.message ==
          "2 of 4 node-wide checks failed: thp.enabled: observed always (/sys/kernel/mm/transparent_hugepage/enabled), "
          "expected one of [madvise, never]; kernel.pid_max: observed 32768 (/proc/sys/kernel/pid_max), expected >= 65536; "
          "clock.sync: could not be read: adjtimex: EPERM");
  }
  SUBCASE("only unreadable: Unknown, never True") {
    auto c = build_condition({result("swap", Status::pass), result("clock.sync", Status::error, "", "", "EPERM")},
                             false, std::nullopt, t0);
    CHECK(c.status == "Unknown");
    CHECK(c.reason == "ClockSyncUnreadable");
    CHECK(c.message == "1 of 2 node-wide checks could not be read: clock.sync: could not be read: EPERM");
  }
  SUBCASE("an error under strict is still Unknown, not False") {
    auto c = build_condition({result("clock.sync", Status::error, "", "", "EPERM")}, true, std::nullopt, t0);
    CHECK(c.status == "Unknown");
  }
}

TEST_CASE("message: at most 1 KiB, cut between entries with the count and ids of the rest") {
  std::vector<CheckResult> rs;
  for (int i = 0; i < 40; ++i) {
    rs.push_back(result("check" + std::to_string(i), Status::fail, std::string(30, 'o'), ">= 1"));
  }
  auto c = build_condition(rs, false, std::nullopt, t0);
  static_assert(kMaxMessage == 1024);
  CHECK(c.message.size() <= 1024);
  CHECK(c.message.size() > 1024 - 120);
  CHECK(c.message.find("check0: observed ooo") != std::string::npos);
  CHECK(c.message.find("more") != std::string::npos);
  CHECK(c.message.find("check39") != std::string::npos);  // named in the "and N more (...)" tail
  // Whole entries only: the last full entry ends just before "; and N more".
  const auto tail = c.message.rfind("; and ");
  REQUIRE(tail != std::string::npos);
  CHECK(c.message.substr(tail - 4, 4) == ">= 1");

  SUBCASE("a single enormous entry is cut on a UTF-8 boundary") {
    std::string observed;
    for (int i = 0; i < 700; ++i) observed += "\xc3\xa9";  // é, 2 bytes each
    auto big = build_condition({result("x.y", Status::fail, observed, ">= 1"), result("z", Status::fail, "1", "2")},
                               false, std::nullopt, t0);
    CHECK(big.message.size() <= 1024);
    CHECK(big.message.size() > 1024 - 8);
    CHECK(big.message.find("x.y: observed \xc3\xa9") != std::string::npos);
    CHECK(big.message.find("...; and 1 more") != std::string::npos);
    CHECK(json(big.message).dump().size() > 0);  // valid UTF-8: nlohmann would throw otherwise
  }
}

TEST_CASE("lastTransitionTime: kept while the status is the same, now when it changes") {
  const auto t1 = t0 + std::chrono::minutes(5);
  NodeCondition prev;
  prev.status = "True";
  prev.last_transition_time = "2025-12-01T00:00:00Z";
  prev.last_heartbeat_time = "2025-12-02T00:59:00Z";
  auto same = build_condition({result("a", Status::pass)}, false, prev, t1);
  CHECK(same.last_transition_time == "2025-12-01T00:00:00Z");
  CHECK(same.last_heartbeat_time == "2025-12-02T01:05:00Z");
  CHECK_FALSE(differs(prev, same) == false);  // message/reason came from elsewhere: differs
  auto flipped = build_condition({result("a", Status::fail, "1", "2")}, false, prev, t1);
  CHECK(flipped.last_transition_time == "2025-12-02T01:05:00Z");
  auto first = build_condition({result("a", Status::pass)}, false, std::nullopt, t1);
  CHECK(first.last_transition_time == first.last_heartbeat_time);
  CHECK_FALSE(differs(same, build_condition({result("a", Status::pass)}, false, same, t1 + std::chrono::minutes(1))));
}

TEST_CASE("parse_node: name, uid, resourceVersion, taints and our condition") {
  const std::string node = R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"n1","uid":"u-1","resourceVersion":"42"},
    "spec":{"taints":[{"key":"other","effect":"NoExecute"}]},
    "status":{"conditions":[{"type":"Ready","status":"False"},
      {"type":"gopreflight.io/GoReady","status":"True","reason":"NodeChecksPassed","message":"m",
       "lastHeartbeatTime":"2025-12-02T01:00:00Z","lastTransitionTime":"2025-12-01T00:00:00Z"}]}})";
  auto v = parse_node(node);
  REQUIRE(v.ok());
  CHECK(v->name == "n1");
  CHECK(v->uid == "u-1");
  CHECK(v->resource_version == "42");
  CHECK(v->taints.size() == 1);
  REQUIRE(v->condition.has_value());
  CHECK(v->condition->status == "True");
  CHECK(v->condition->last_transition_time == "2025-12-01T00:00:00Z");

  auto bare = parse_node(R"({"kind":"Node","metadata":{"name":"n2","resourceVersion":"1"}})");
  REQUIRE(bare.ok());
  CHECK_FALSE(bare->condition.has_value());
  CHECK(bare->taints.empty());

  CHECK(parse_node("not json").error() == "Node object: the reply is not a JSON object");
  CHECK(parse_node(R"({"kind":"Status","message":"x"})").error().find("kind is \"Status\"") != std::string::npos);
  CHECK(parse_node(R"({"kind":"Node","metadata":{"name":"n"}})").error().find("resourceVersion") != std::string::npos);
  CHECK(parse_node(R"({"kind":"Node","metadata":{"name":"n","resourceVersion":"1"},"spec":{"taints":{}}})")
            .error()
            .find("spec.taints is not a list") != std::string::npos);
}

TEST_CASE("status patch body: one condition under status.conditions (strategic merge by type)") {
  NodeCondition c;
  c.status = "False";
  c.reason = "ThpEnabled";
  c.message = "1 of 1 node-wide checks failed: \"quoted\"";
  c.last_heartbeat_time = "2025-12-02T01:00:00Z";
  c.last_transition_time = "2025-12-01T00:00:00Z";
  auto j = json::parse(status_patch_body(c));
  CHECK(j == json::parse(R"({"status":{"conditions":[{"type":"gopreflight.io/GoReady","status":"False",
    "reason":"ThpEnabled","message":"1 of 1 node-wide checks failed: \"quoted\"",
    "lastHeartbeatTime":"2025-12-02T01:00:00Z","lastTransitionTime":"2025-12-01T00:00:00Z"}]}})"));
}

TEST_CASE("bodies: a reading with invalid UTF-8 becomes U+FFFD, not an exception") {
  auto c = build_condition({result("x.y", Status::fail, "\xff\xfe garbage", ">= 1")}, false, std::nullopt, t0);
  std::string body;
  REQUIRE_NOTHROW(body = status_patch_body(c));
  auto j = json::parse(body);
  CHECK(j["status"]["conditions"][0]["message"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
  NodeView n;
  n.name = "n1";
  REQUIRE_NOTHROW(json::parse(event_body(n, c, "True", t0)));
}

TEST_CASE("taint patch body: adds/removes only ours, keeps the rest, carries the resourceVersion") {
  NodeView n;
  n.name = "n1";
  n.resource_version = "77";
  n.taints = json::parse(R"([{"key":"other","value":"v","effect":"NoExecute"},
                             {"key":"gopreflight.io/not-ready","effect":"PreferNoSchedule"}])");
  CHECK_FALSE(has_taint(n.taints));
  CHECK_FALSE(taint_patch_body(n, false).has_value());
  auto add = taint_patch_body(n, true);
  REQUIRE(add.has_value());
  auto j = json::parse(*add);
  CHECK(j["metadata"]["resourceVersion"] == "77");
  CHECK(j["spec"]["taints"] == json::parse(R"([{"key":"other","value":"v","effect":"NoExecute"},
      {"key":"gopreflight.io/not-ready","effect":"PreferNoSchedule"},
      {"key":"gopreflight.io/not-ready","effect":"NoSchedule"}])"));
  n.taints = j["spec"]["taints"];
  CHECK(has_taint(n.taints));
  CHECK_FALSE(taint_patch_body(n, true).has_value());
  auto del = taint_patch_body(n, false);
  REQUIRE(del.has_value());
  CHECK(json::parse(*del)["spec"]["taints"] == json::parse(R"([{"key":"other","value":"v","effect":"NoExecute"},
      {"key":"gopreflight.io/not-ready","effect":"PreferNoSchedule"}])"));
  n.taints = json::array({{{"key", "gopreflight.io/not-ready"}, {"effect", "NoSchedule"}}});
  CHECK(json::parse(*taint_patch_body(n, false))["spec"]["taints"] == json::array());
}

TEST_CASE("event body: about the Node, Warning on False, named after the time") {
  NodeView n;
  n.name = "n1";
  n.uid = "u-1";
  NodeCondition c;
  c.status = "False";
  c.reason = "ThpEnabled";
  c.message = "1 of 1 node-wide checks failed: thp.enabled: observed always";
  auto j = json::parse(event_body(n, c, "True", t0));
  CHECK(j["kind"] == "Event");
  CHECK(j["metadata"]["name"] == "n1.gopreflight-" + [] {
    char b[32];
    std::snprintf(b, sizeof b, "%llx", 1764637200000000000ULL);
    return std::string(b);
  }());
  CHECK(j["involvedObject"] == json::parse(R"({"apiVersion":"v1","kind":"Node","name":"n1","uid":"u-1"})"));
  CHECK(j["type"] == "Warning");
  CHECK(j["reason"] == "GoNotReady");
  CHECK(j["message"] == "gopreflight.io/GoReady True -> False (ThpEnabled): 1 of 1 node-wide checks failed: "
                        "thp.enabled: observed always");
  CHECK(j["firstTimestamp"] == "2025-12-02T01:00:00Z");
  c.status = "True";
  c.reason = "NodeChecksPassed";
  auto ok = json::parse(event_body(n, c, "", t0));
  CHECK(ok["type"] == "Normal");
  CHECK(ok["reason"] == "GoReady");
  CHECK(ok["message"].get<std::string>().rfind("gopreflight.io/GoReady set to True", 0) == 0);
}

TEST_CASE("api_status_message: the Status message, else the start of the body") {
  CHECK(api_status_message(R"({"kind":"Status","status":"Failure","message":"nodes \"n1\" is forbidden: x","reason":"Forbidden"})") ==
        "nodes \"n1\" is forbidden: x");
  CHECK(api_status_message(R"({"kind":"Status","reason":"Unauthorized"})") == "Unauthorized");
  CHECK(api_status_message("plain\ntext") == "plain text");
  CHECK(api_status_message("") == "(empty body)");
}
