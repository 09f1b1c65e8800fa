// "name[@timeout]=url" arguments, timeouts, spec validation, and results for definitions that
// cannot run (status error, never pass).
#include <doctest/doctest.h>

#include <string>

#include "gopreflight/initcheck/probe.hpp"

using namespace gopreflight::initcheck;
using namespace std::chrono_literals;

TEST_CASE("probe arguments: name=url and name@timeout=url") {
  auto a = parse_probe_arg("redis=redis://redis:6379");
  REQUIRE(a.ok());
  CHECK(a->name == "redis");
  CHECK(a->url == "redis://redis:6379");
  CHECK(a->timeout == 2000ms);
  CHECK_FALSE(a->tls_insecure);

  auto b = parse_probe_arg("db_main-2@500ms=postgres://db:5432/app");
  REQUIRE(b.ok());
  CHECK(b->name == "db_main-2");
  CHECK(b->timeout == 500ms);
  CHECK(b->url == "postgres://db:5432/app");

  auto c = parse_probe_arg("api@3s=http://api:8080/healthz?a=b=c");
  REQUIRE(c.ok());
  CHECK(c->timeout == 3000ms);
  CHECK(c->url == "http://api:8080/healthz?a=b=c");  // only the first '=' splits

  auto d = parse_probe_arg("slow@1m=tcp://x:1");
  REQUIRE(d.ok());
  CHECK(d->timeout == 60000ms);
}

TEST_CASE("probe arguments: bad forms name the bad part") {
  struct Row {
    std::string arg;
    std::string needle;
  };
  const Row rows[] = {
      {"redis", "expected name=url"},
      {"", "expected name=url"},
      {"=redis://r:1", "probe name ''"},
      {"Redis=redis://r:1", "probe name 'Redis'"},
      {"my.db=tcp://db:1", "probe name 'my.db'"},
      {std::string(64, 'a') + "=tcp://db:1", "1..63"},
      {"db=", "empty"},
      {"db=db:5432", "missing scheme"},
      {"db=ftp://x:1", "unsupported scheme"},
      {"db@=tcp://x:1", "probe timeout ''"},
      {"db@5=tcp://x:1", "missing unit"},
      {"db@5h=tcp://x:1", "longer than 10m"},
      {"db@-5s=tcp://x:1", "expected a number"},
      {"db@0ms=tcp://x:1", "between 1ms and 10m"},
      {"db@11m=tcp://x:1", "longer than 10m"},
      {"db@9999999999ms=tcp://x:1", "longer than 10m"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.arg);
    auto r = parse_probe_arg(row.arg);
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.error().find(row.needle) != std::string::npos, r.error());
  }
}

TEST_CASE("probe specs from the config are validated the same way") {
  ProbeSpec s{"api", "https://api:8443/healthz", 1500ms, true, ""};
  CHECK(validate_probe(s).ok());
  s.url = "http://api:8080/";
  auto plain_insecure = validate_probe(s);
  REQUIRE_FALSE(plain_insecure.ok());
  CHECK(plain_insecure.error().find("tls_insecure/ca_file only apply") != std::string::npos);
  s = ProbeSpec{"api", "tcp://api:1", 0ms, false, ""};
  auto zero = validate_probe(s);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.error().find("timeout 0 ms") != std::string::npos);
}

TEST_CASE("a probe that cannot run is an error result, never pass") {
  ProbeSpec bad{"db", "mysql://db:3306", 100ms, false, ""};
  auto r = run_probe_once(bad);
  CHECK(r.id == "probe.db");
  CHECK(r.status == Status::error);
  CHECK(r.message.find("unsupported scheme 'mysql'") != std::string::npos);
  CHECK_FALSE(r.remediation.empty());

  // run_probes does not retry a definition that cannot work; it returns at once.
  std::vector<std::string> lines;
  auto start = std::chrono::steady_clock::now();
  auto all = run_probes({bad}, 5000ms, 100ms, [&](const std::string& l) { lines.push_back(l); });
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(all.size() == 1);
  CHECK(all[0].status == Status::error);
  CHECK(took < 1000ms);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("0/1 ready; giving up") != std::string::npos);
}

TEST_CASE("parse_probe_timeout") {
  CHECK(parse_probe_timeout("250ms").value() == 250ms);
  CHECK(parse_probe_timeout("2s").value() == 2000ms);
  CHECK(parse_probe_timeout("10m").value() == 600000ms);
  CHECK(parse_probe_timeout("2.5s").value() == 2500ms);  // the one duration syntax (common/)
  CHECK(parse_probe_timeout("1m30s").value() == 90000ms);
  CHECK_FALSE(parse_probe_timeout("11m").ok());
  CHECK_FALSE(parse_probe_timeout("0s").ok());
  CHECK_FALSE(parse_probe_timeout("s").ok());
  CHECK_FALSE(parse_probe_timeout("2 s").ok());
  CHECK_FALSE(parse_probe_timeout("2S").ok());
}
