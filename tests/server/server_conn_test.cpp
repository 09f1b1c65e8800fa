// The server's per-request pieces that replaced library defaults for speed: the hand-built
// decision log line, the lock-free-on-the-hot-path metrics, the connection table shutdown uses.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "connection_table.hpp"
#include "decision_log.hpp"
#include "gopreflight/webhook/server.hpp"

namespace srv = gopreflight::webhook::server;

namespace {
nlohmann::json parse_line(const std::string& fields) { return nlohmann::json::parse("{" + fields + "}"); }
}  // namespace

TEST_CASE("the decision line is a JSON object with the issue's fields, keys sorted") {
  const std::vector<std::string> rules = {"podSecurity", "goRuntime"};
  srv::DecisionFields f;
  f.endpoint = "validate";
  f.uid = "u-1";
  f.kind = "Deployment";
  f.ns = "shop";
  f.name = "api";
  f.user = "system:serviceaccount:kube-system:deployment-controller";
  f.operation = "CREATE";
  f.decision = "denied";
  f.remote = "127.0.0.1";
  f.rules = &rules;
  f.latency_ms = 0.1189;
  const std::string line = srv::decision_line("admission review", f);
  CHECK(line.rfind(R"("msg":"admission review","decision":"denied","endpoint":"validate","kind":"Deployment")", 0) == 0);
  const auto j = parse_line(line);
  CHECK(j["uid"] == "u-1");
  CHECK(j["namespace"] == "shop");
  CHECK(j["name"] == "api");
  CHECK(j["user"] == "system:serviceaccount:kube-system:deployment-controller");
  CHECK(j["operation"] == "CREATE");
  CHECK(j["remote"] == "127.0.0.1");
  CHECK(j["rules"] == nlohmann::json::array({"podSecurity", "goRuntime"}));
  CHECK(j["latency_ms"].get<double>() == doctest::Approx(0.119));
  CHECK_FALSE(j.contains("error"));
  // Keys in the order the nlohmann-built line had (scripts grep the prefix).
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(std::is_sorted(keys.begin(), keys.end()));
}

TEST_CASE("the decision line stays valid JSON whatever the review carried") {
  srv::DecisionFields f;
  f.decision = "error";
  f.endpoint = "mutate";
  f.name = std::string_view("a\"b\\c\nd\te\x01" "f", 11);
  f.ns = "caf\xc3\xa9";                 // valid UTF-8 kept as is
  f.user = "bad\xff\xc3(\xed\xa0\x80";  // stray byte, truncated sequence, surrogate
  f.error = "line 1: unexpected '}'";
  f.kind = std::string_view("nul\0x", 5);
  f.latency_ms = -1;  // never printed as a negative or non-finite number
  const std::string line = srv::decision_line("admission review rejected", f);
  const auto j = parse_line(line);
  CHECK(j["name"] == std::string("a\"b\\c\nd\te\x01" "f"));
  CHECK(j["namespace"] == "caf\xc3\xa9");
  CHECK(j["user"] == "bad\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(j["kind"] == std::string("nul\0x", 5));
  CHECK(j["error"] == "line 1: unexpected '}'");
  CHECK(j["rules"] == nlohmann::json::array());
  CHECK(j["latency_ms"].get<double>() == 0.0);
  CHECK(line.find("\\u0001") != std::string::npos);
}

TEST_CASE("metrics count exactly under concurrent reviews and keep label sets apart") {
  srv::Metrics m;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&m, t] {
      for (int i = 0; i < 5000; ++i) {
        m.observe_review("validate", "CREATE", t % 2 ? "Pod" : "Deployment", "allowed", {"goRuntime"}, 0.0002);
        m.observe_http(200);
      }
    });
  }
  for (auto& th : ts) th.join();
  // Values that concatenate to the same text are different label sets.
  m.observe_review("validate", "CREATE", "ab", "c", {}, 0.001);
  m.observe_review("validate", "CREATE", "a", "bc", {}, 0.001);
  m.observe_http(999);
  const std::string t = m.render();
  CHECK(t.find(R"(gopreflight_webhook_reviews_total{endpoint="validate",operation="CREATE",kind="Pod",decision="allowed"} 10000)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_reviews_total{endpoint="validate",operation="CREATE",kind="Deployment",decision="allowed"} 10000)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_rule_hits_total{endpoint="validate",rule="goRuntime"} 20000)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_review_duration_seconds_bucket{endpoint="validate",le="0.0005"} 20000)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_review_duration_seconds_count{endpoint="validate"} 20002)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_http_responses_total{code="200"} 20000)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_http_responses_total{code="other"} 1)") != std::string::npos);
  CHECK(t.find(R"(kind="ab",decision="c"} 1)") != std::string::npos);
  CHECK(t.find(R"(kind="a",decision="bc"} 1)") != std::string::npos);
  // 20000 x 0.2 ms + 2 x 1 ms = 4.002 s
  const auto sum_at = t.find(R"(gopreflight_webhook_review_duration_seconds_sum{endpoint="validate"} )");
  REQUIRE(sum_at != std::string::npos);
  CHECK(std::stod(t.substr(t.find("} ", sum_at) + 2)) == doctest::Approx(4.002).epsilon(1e-6));
}

TEST_CASE("shutdown closes idle connections only: not busy ones, not ones with a request arriving") {
  srv::ConnectionTable table;
  int idle[2], busy[2], arriving[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, idle) == 0);
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, busy) == 0);
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, arriving) == 0);
  table.opened(idle[0]);
  table.opened(busy[0]);
  table.opened(arriving[0]);
  CHECK(table.begin_request(busy[0]));
  REQUIRE(write(arriving[1], "P", 1) == 1);  // first byte of a request, not read yet

  CHECK(table.close_idle() == 1);
  char c = 0;
  CHECK(read(idle[0], &c, 1) == 0);             // its worker sees end-of-stream
  CHECK_FALSE(table.begin_request(idle[0]));    // and may not start a request on it
  CHECK(read(arriving[0], &c, 1) == 1);         // the arriving request is still readable
  CHECK(c == 'P');
  // The busy one finishes its request; a later pass closes it once idle.
  table.end_request(busy[0]);
  CHECK(table.close_idle() == 2);  // busy[0] now idle; arriving[0] drained and idle
  CHECK(read(busy[0], &c, 1) == 0);
  for (int fd : {idle[0], idle[1], busy[0], busy[1], arriving[0], arriving[1]}) {
    table.closed(fd);
    close(fd);
  }
  CHECK(table.close_idle() == 0);
}
