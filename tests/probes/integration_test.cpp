// Probes against real servers on loopback (started by integration.sh, ports in GP_* variables):
// redis-server (plain, TLS, password), PostgreSQL, etcd, HTTPS with openssl-made certificates,
// and peers that are closed, silent, speak another protocol, hang up or drip bytes.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gopreflight/initcheck/probe.hpp"

extern char** environ;

using namespace gopreflight::initcheck;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v != nullptr, "run through tests/probes/integration.sh: ", name, " is not set");
  return v;
}

std::string port(const char* name) { return env(name); }

ProbeSpec spec(const std::string& name, const std::string& url, std::chrono::milliseconds timeout = 2000ms) {
  return ProbeSpec{name, url, timeout, false, ""};
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

struct Timed {
  CheckResult r;
  std::chrono::milliseconds took;
};

Timed probe(const std::string& name, const std::string& url, std::chrono::milliseconds timeout = 2000ms,
            bool insecure = false, const std::string& ca = "") {
  ProbeSpec s{name, url, timeout, insecure, ca};
  auto start = Clock::now();
  CheckResult r = run_probe_once(s);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  INFO("observed: ", r.observed);
  INFO("message: ", r.message);
  return {r, took};
}

void expect_pass(const Timed& t, const std::string& observed_part) {
  INFO("observed: ", t.r.observed, "\nmessage: ", t.r.message);
  CHECK(t.r.status == Status::pass);
  CHECK(has(t.r.observed, observed_part));
  CHECK(t.r.remediation.empty());
}

void expect_fail(const Timed& t, const std::string& observed_part, const std::string& remediation_part) {
  INFO("observed: ", t.r.observed, "\nmessage: ", t.r.message, "\nremediation: ", t.r.remediation);
  CHECK(t.r.status == Status::fail);
  CHECK(has(t.r.observed, observed_part));
  CHECK(has(t.r.remediation, remediation_part));
}

}  // namespace

TEST_CASE("tcp: an open port passes, a closed loopback port fails fast with 'connection refused'") {
  auto open = probe("redis-tcp", "tcp://127.0.0.1:" + port("GP_REDIS_PORT"));
  expect_pass(open, "connected to 127.0.0.1:" + port("GP_REDIS_PORT"));
  CHECK(open.r.id == "probe.redis-tcp");

  auto closed = probe("gone", "tcp://127.0.0.1:" + port("GP_CLOSED_PORT"));
  expect_fail(closed, "connect 127.0.0.1:" + port("GP_CLOSED_PORT") + ": connection refused", "Nothing listens");
  CHECK(closed.took < 1000ms);  // refused at once (loose bound: shared CI machines)

  // localhost resolves (to ::1 and/or 127.0.0.1); the probe tries each address.
  auto named = probe("named", "tcp://localhost:" + port("GP_REDIS_PORT"));
  expect_pass(named, "connected to 127.0.0.1:");

  auto unknown = probe("nxdomain", "tcp://no-such-host.invalid:5432", 1500ms);
  INFO("observed: ", unknown.r.observed);
  CHECK(unknown.r.status == Status::fail);
  CHECK(has(unknown.r.observed, "resolve no-such-host.invalid"));
  CHECK(has(unknown.r.remediation, "getent hosts no-such-host.invalid"));
  CHECK(unknown.took < 2500ms);
}

TEST_CASE("redis: real redis-server answers +PONG; NOAUTH counts as up; other peers fail") {
  auto ok = probe("redis", "redis://127.0.0.1:" + port("GP_REDIS_PORT"));
  expect_pass(ok, "+PONG from 127.0.0.1:" + port("GP_REDIS_PORT"));
  CHECK(has(ok.r.expected, "+PONG"));

  auto auth = probe("redis-auth", "redis://127.0.0.1:" + port("GP_REDIS_AUTH_PORT"));
  expect_pass(auth, "-NOAUTH");
  CHECK(has(auth.r.message, "requires AUTH"));

  auto tls = probe("rediss", "rediss://localhost:" + port("GP_REDISS_PORT"), 2000ms, false, env("GP_CA_FILE"));
  expect_pass(tls, "+PONG");
  CHECK(has(tls.r.observed, "certificate verified for localhost"));

  auto tls_untrusted = probe("rediss", "rediss://localhost:" + port("GP_REDISS_PORT"));
  expect_fail(tls_untrusted, "certificate verify failed", "ca_file");

  // A PostgreSQL server reads PING as a bad startup packet and hangs up without a reply.
  auto pg = probe("redis-on-pg", "redis://127.0.0.1:" + port("GP_PG_PORT"));
  expect_fail(pg, "closed without a RESP reply", "Something other than a Redis server");

  auto ssh = probe("redis-on-ssh", "redis://127.0.0.1:" + port("GP_BANNER_PORT"));
  expect_fail(ssh, "not a RESP (Redis) reply: first byte 'S'", "check the port number");

  auto hangup = probe("redis-hangup", "redis://127.0.0.1:" + port("GP_CLOSE_PORT"));
  CHECK(hangup.r.status == Status::fail);
  CHECK((has(hangup.r.observed, "closed without a RESP reply") || has(hangup.r.observed, "reset")));
}

TEST_CASE("postgres: real PostgreSQL answers the SSLRequest; an SSH banner does not count") {
  auto ok = probe("db", "postgres://127.0.0.1:" + port("GP_PG_PORT") + "/postgres");
  expect_pass(ok, "'N' (TLS not offered) to SSLRequest from 127.0.0.1:" + port("GP_PG_PORT"));

  auto ssl = probe("db-ssl", "postgresql://127.0.0.1:" + port("GP_PG_SSL_PORT"));
  expect_pass(ssl, "'S' (TLS offered) to SSLRequest from 127.0.0.1:" + port("GP_PG_SSL_PORT"));

  auto ssh = probe("db-ssh", "postgres://127.0.0.1:" + port("GP_BANNER_PORT"));
  expect_fail(ssh, "bytes instead of one", "Something other than a PostgreSQL server");

  auto http = probe("db-http", "postgres://127.0.0.1:" + port("GP_HTTP_PORT"), 1500ms);
  CHECK(http.r.status == Status::fail);
  CHECK(http.took < 2500ms);
}

TEST_CASE("etcd: real etcd /health passes; an unhealthy answer fails with its reason") {
  auto ok = probe("etcd", "etcd://127.0.0.1:" + port("GP_ETCD_PORT"));
  expect_pass(ok, "HTTP 200 OK {\"health\":\"true\"} from 127.0.0.1:" + port("GP_ETCD_PORT"));

  auto sick = probe("etcd-sick", "etcd://127.0.0.1:" + port("GP_HTTP_PORT"));
  expect_fail(sick, "health false, reason 'ALARM NOSPACE'", "etcdctl");
  CHECK(has(sick.r.observed, "HTTP 503"));

  auto not_etcd = probe("etcd-redis", "etcd://127.0.0.1:" + port("GP_HTTP_PORT") + "/status/200");
  expect_fail(not_etcd, "not a JSON object", "Something other than a etcd server");
}

TEST_CASE("http: 2xx passes; other statuses fail naming them; chunked and large bodies work") {
  const std::string base = "http://127.0.0.1:" + port("GP_HTTP_PORT");
  expect_pass(probe("api", base + "/"), "HTTP 200 OK from 127.0.0.1:");
  expect_pass(probe("api", base + "/chunked"), "HTTP 200");
  expect_pass(probe("api", base + "/status/204"), "HTTP 204");
  expect_pass(probe("api", base + "/big"), "HTTP 200");
  expect_fail(probe("api", base + "/status/503"), "answered HTTP 503 Service Unavailable, expected 2xx", "curl -v");
  expect_fail(probe("api", base + "/nope"), "HTTP 404", "curl -v");
  expect_fail(probe("api", base + "/redirect"), "redirect to /elsewhere", "curl -v");
  // An HTTP client talking to a TLS port does not get an HTTP answer.
  auto plain_to_tls = probe("api", "http://127.0.0.1:" + port("GP_HTTPS_PORT") + "/", 1500ms);
  CHECK(plain_to_tls.r.status == Status::fail);
  CHECK(plain_to_tls.took < 2500ms);
}

TEST_CASE("https: verified against the given CA and the host name; wrong host or CA fails") {
  const std::string ca = env("GP_CA_FILE");
  const std::string p = port("GP_HTTPS_PORT");
  const std::string other = port("GP_HTTPS_OTHER_PORT");

  auto by_name = probe("web", "https://localhost:" + p + "/", 2000ms, false, ca);
  expect_pass(by_name, "HTTP 200 OK");
  CHECK(has(by_name.r.observed, "certificate verified for localhost"));
  auto by_ip = probe("web", "https://127.0.0.1:" + p + "/", 2000ms, false, ca);
  expect_pass(by_ip, "certificate verified for 127.0.0.1");

  expect_fail(probe("web", "https://localhost:" + p + "/"), "unable to get local issuer certificate", "ca_file");
  expect_fail(probe("web", "https://localhost:" + p + "/", 2000ms, false, env("GP_OTHER_CA_FILE")),
              "certificate verify failed", "subjectAltName");
  expect_fail(probe("web", "https://localhost:" + other + "/", 2000ms, false, ca), "hostname mismatch",
              "subjectAltName includes 'localhost'");
  expect_fail(probe("web", "https://127.0.0.1:" + other + "/", 2000ms, false, ca), "IP address mismatch",
              "openssl s_client");

  auto insecure = probe("web", "https://localhost:" + other + "/", 2000ms, true);
  expect_pass(insecure, "certificate NOT verified");

  auto missing_ca = probe("web", "https://localhost:" + p + "/", 2000ms, false, "/nonexistent/ca.pem");
  CHECK(missing_ca.r.status == Status::error);
  CHECK(has(missing_ca.r.observed, "ca_file /nonexistent/ca.pem"));

  // TLS to a plain HTTP port: the handshake fails quickly with OpenSSL's reason.
  auto tls_to_plain = probe("web", "https://127.0.0.1:" + port("GP_HTTP_PORT") + "/", 1500ms, false, ca);
  expect_fail(tls_to_plain, "TLS handshake with 127.0.0.1:", "speaks TLS");
  CHECK(tls_to_plain.took < 2500ms);

  auto etcd_tls = probe("etcd-tls", "etcd+https://localhost:" + p, 2000ms, false, ca);
  expect_fail(etcd_tls, "health false", "etcdctl");  // the HTTPS peer's /health is the unhealthy one
}

TEST_CASE("a listener that accepts but never answers fails by timeout within the bound") {
  const std::string p = port("GP_SILENT_PORT");
  for (const std::string& url : {"redis://127.0.0.1:" + p, "postgres://127.0.0.1:" + p, "http://127.0.0.1:" + p,
                                "https://127.0.0.1:" + p}) {
    CAPTURE(url);
    auto t = probe("silent", url, 600ms, url.rfind("https", 0) == 0);
    expect_fail(t, "", "NetworkPolicies");
    CHECK(t.took >= 550ms);
    CHECK(t.took < 1600ms);  // the 600 ms timeout plus scheduling slack
    if (url.rfind("https", 0) != 0) CHECK(has(t.r.observed, "nothing answered"));
  }
  // A peer that drips bytes forever is cut off by the same per-attempt deadline.
  auto drip = probe("drip", "http://127.0.0.1:" + port("GP_DRIP_PORT") + "/", 800ms);
  expect_fail(drip, "timed out", "NetworkPolicies");
  CHECK(drip.took < 1800ms);
}

TEST_CASE("run_probes: all ready in one round") {
  std::vector<ProbeSpec> specs{spec("redis", "redis://127.0.0.1:" + port("GP_REDIS_PORT")),
                               spec("db", "postgres://127.0.0.1:" + port("GP_PG_PORT")),
                               spec("etcd", "etcd://127.0.0.1:" + port("GP_ETCD_PORT"))};
  std::vector<std::string> lines;
  auto results = run_probes(specs, 10s, 200ms, [&](const std::string& l) { lines.push_back(l); });
  REQUIRE(results.size() == 3);
  for (const auto& r : results) {
    INFO(r.id, ": ", r.observed);
    CHECK(r.status == Status::pass);
  }
  CHECK(results[1].id == "probe.db");
  REQUIRE(lines.size() == 1);
  CHECK(has(lines[0], "probes: 3/3 ready after 1 round"));
}

TEST_CASE("run_probes: waits for a redis-server that starts late, then passes after several attempts") {
  const std::string late = port("GP_LATE_REDIS_PORT");
  const std::string pidfile = env("GP_WORKDIR") + "/late-redis.pid";
  pid_t pid = -1;
  std::thread starter([&] {
    std::this_thread::sleep_for(1500ms);
    std::vector<std::string> args{"redis-server", "--port",       late, "--bind",     "127.0.0.1", "--save",
                                  "",             "--appendonly", "no", "--loglevel", "warning"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = env("GP_WORKDIR") + "/late-redis.log";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    const int rc = posix_spawnp(&pid, "redis-server", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == 0) {
      std::ofstream(pidfile) << pid << "\n";  // integration.sh's trap kills it if we die first
    }
  });
  std::vector<ProbeSpec> specs{spec("late", "redis://127.0.0.1:" + late, 500ms),
                               spec("redis", "redis://127.0.0.1:" + port("GP_REDIS_PORT"))};
  std::vector<std::string> lines;
  auto start = Clock::now();
  auto results = run_probes(specs, 20s, 250ms, [&](const std::string& l) { lines.push_back(l); });
  auto took = Clock::now() - start;
  starter.join();
  REQUIRE(pid > 0);

  REQUIRE(results.size() == 2);
  INFO("late: ", results[0].observed, " / ", results[0].message);
  CHECK(results[0].status == Status::pass);
  CHECK(has(results[0].observed, "+PONG from 127.0.0.1:" + late));
  CHECK(has(results[0].message, "Ready after "));
  CHECK(results[1].status == Status::pass);
  CHECK(took >= 1400ms);
  CHECK(took < 10s);
  REQUIRE(lines.size() >= 3);
  CHECK(has(lines[0], "probes: 1/2 ready; waiting for late (connect 127.0.0.1:" + late + ": connection refused"));
  CHECK(has(lines[0], "s left"));
  CHECK(has(lines.back(), "probes: 2/2 ready after "));

  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::remove(pidfile.c_str());
}

TEST_CASE("run_probes: gives up at the deadline with the attempt count and the last error") {
  std::vector<ProbeSpec> specs{spec("gone", "tcp://127.0.0.1:" + port("GP_CLOSED_PORT"), 300ms),
                               spec("silent", "redis://127.0.0.1:" + port("GP_SILENT_PORT"), 1000ms)};
  std::vector<std::string> lines;
  auto start = Clock::now();
  auto results = run_probes(specs, 2500ms, 200ms, [&](const std::string& l) { lines.push_back(l); });
  auto took = Clock::now() - start;
  REQUIRE(results.size() == 2);
  INFO("gone: ", results[0].message);
  INFO("silent: ", results[1].message);
  CHECK(results[0].status == Status::fail);
  CHECK(has(results[0].message, "TCP dependency 'gone' (tcp://127.0.0.1:" + port("GP_CLOSED_PORT") +
                                    ") is not ready after "));
  CHECK(has(results[0].expected, "within 300 ms"));  // the spec's timeout, not the last round's cut
  CHECK(has(results[0].message, "last error:"));
  CHECK(has(results[0].message, "connection refused"));
  CHECK(results[1].status == Status::fail);
  CHECK(has(results[1].message, "nothing answered"));
  // Bounded: the last round's attempts are cut to what is left of the deadline.
  CHECK(took >= 2400ms);
  CHECK(took < 4000ms);
  REQUIRE(lines.size() >= 2);
  CHECK(has(lines.back(), "0/2 ready; giving up after "));
  CHECK(has(lines.back(), "gone (connect 127.0.0.1:" + port("GP_CLOSED_PORT") + ": connection refused)"));
  CHECK(results[0].duration_ms >= 2400);
}

TEST_CASE("run_probes: a deadline of 0 makes exactly one attempt") {
  std::vector<ProbeSpec> specs{spec("gone", "tcp://127.0.0.1:" + port("GP_CLOSED_PORT"), 300ms),
                               spec("redis", "redis://127.0.0.1:" + port("GP_REDIS_PORT"))};
  std::vector<std::string> lines;
  auto start = Clock::now();
  auto results = run_probes(specs, 0ms, 1s, [&](const std::string& l) { lines.push_back(l); });
  CHECK(Clock::now() - start < 1s);
  REQUIRE(results.size() == 2);
  CHECK(results[0].status == Status::fail);
  CHECK(has(results[0].message, "not ready after 1 attempt in"));
  CHECK(results[1].status == Status::pass);
  REQUIRE(lines.size() == 1);
  CHECK(has(lines[0], "probes: 1/2 ready; giving up after 1 round"));
}

// Run by integration.sh inside `unshare -mn` with /etc/resolv.conf pointing at a DNS server that
// never answers; excluded from the main run.
TEST_CASE("dns-silent: a resolver that never answers is cut off at the probe's deadline") {
  REQUIRE(env("GP_DNS_SILENT") == "1");
  auto t = probe("db", "postgres://db.example:5432", 1000ms);
  INFO("observed: ", t.r.observed);
  CHECK(t.r.status == Status::fail);
  CHECK(has(t.r.observed, "resolve db.example: timed out (DNS did not answer)"));
  CHECK(has(t.r.remediation, "cluster DNS"));
  CHECK(t.took >= 950ms);
  CHECK(t.took < 2000ms);

  auto start = Clock::now();
  auto results = run_probes({spec("db", "postgres://db.example:5432", 1000ms)}, 2500ms, 200ms, nullptr);
  auto took = Clock::now() - start;
  REQUIRE(results.size() == 1);
  CHECK(results[0].status == Status::fail);
  CHECK(has(results[0].message, "DNS did not answer"));
  CHECK(took < 4000ms);
}
