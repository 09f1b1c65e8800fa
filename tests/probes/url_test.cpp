// Probe URL parsing: schemes, hosts (name, IPv4, [IPv6]), default ports, paths, and bad input.
#include <doctest/doctest.h>

#include <string>

#include "gopreflight/initcheck/probe.hpp"

using namespace gopreflight::initcheck;
using namespace gopreflight::initcheck::probe_detail;

TEST_CASE("probe URLs: schemes, hosts, default ports and paths") {
  struct Row {
    std::string url;
    Scheme scheme;
    std::string host;
    int port;
    std::string path;
    bool tls;
    bool ip;
  };
  const Row rows[] = {
      {"tcp://db:5432", Scheme::tcp, "db", 5432, "", false, false},
      {"tcp://10.0.0.7:11211/", Scheme::tcp, "10.0.0.7", 11211, "", false, true},
      {"redis://redis", Scheme::redis, "redis", 6379, "", false, false},
      {"redis://redis.cache.svc.cluster.local:6380/0", Scheme::redis, "redis.cache.svc.cluster.local", 6380, "",
       false, false},
      {"rediss://cache:6390", Scheme::rediss, "cache", 6390, "", true, false},
      {"postgres://pg", Scheme::postgres, "pg", 5432, "", false, false},
      {"postgresql://pg:6432/app", Scheme::postgres, "pg", 6432, "", false, false},
      {"etcd://127.0.0.1", Scheme::etcd, "127.0.0.1", 2379, "/health", false, true},
      {"etcd+http://etcd:2381/", Scheme::etcd, "etcd", 2381, "/health", false, false},
      {"etcd+https://etcd", Scheme::etcd_https, "etcd", 2379, "/health", true, false},
      {"http://api", Scheme::http, "api", 80, "/", false, false},
      {"http://api:8080/healthz?full=1", Scheme::http, "api", 8080, "/healthz?full=1", false, false},
      {"http://api:8080?x=1", Scheme::http, "api", 8080, "/?x=1", false, false},
      {"HTTPS://Api.Example.com/ready#frag", Scheme::https, "Api.Example.com", 443, "/ready", true, false},
      {"https://[::1]:8443/live", Scheme::https, "::1", 8443, "/live", true, true},
      {"tcp://[fe80::1]:22", Scheme::tcp, "fe80::1", 22, "", false, true},
  };
  for (const auto& row : rows) {
    CAPTURE(row.url);
    auto u = parse_probe_url(row.url);
    REQUIRE_MESSAGE(u.ok(), (u.ok() ? std::string() : u.error()));
    CHECK(u->scheme == row.scheme);
    CHECK(u->host == row.host);
    CHECK(u->port == row.port);
    CHECK(u->path == row.path);
    CHECK(u->tls == row.tls);
    CHECK(u->host_is_ip == row.ip);
  }
}

TEST_CASE("probe URLs: bad input gets an error naming the problem") {
  struct Row {
    std::string url;
    std::string needle;
  };
  const Row rows[] = {
      {"", "empty"},
      {"redis", "missing scheme"},
      {"://host:1", "missing scheme"},
      {"ftp://host:21", "unsupported scheme 'ftp'"},
      {"mysql://db:3306", "unsupported scheme 'mysql'"},
      {"tcp://db", "needs a port"},
      {"tcp://:5432", "missing host"},
      {"tcp://db:0", "port '0'"},
      {"tcp://db:65536", "port '65536'"},
      {"tcp://db:12ab", "port '12ab'"},
      {"tcp://db:", "port ''"},
      {"tcp://db:-1", "port '-1'"},
      {"tcp://db:5432/path", "takes no path"},
      {"redis://user:secret@redis:6379", "credentials"},
      {"http://a b/", "space, control"},
      {"http://api/\r\nX-Injected: 1", "space, control"},
      {"http://api/\xc3\xa9", "non-ASCII"},
      {"tcp://::1:5432", "brackets"},
      {"tcp://[::1:5432", "without ']'"},
      {"tcp://[::1]x:5432", "after ']'"},
      {"tcp://[not-v6]:5432", "not a valid IPv6"},
      {"tcp://db!:5432", "not a valid DNS name"},
      {"tcp://-db:5432", "not a valid DNS name"},
      {"http://" + std::string(300, 'a') + ":80", "not a valid DNS name"},
      {"http://api/" + std::string(3000, 'a'), "at most 2048"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.url);
    auto u = parse_probe_url(row.url);
    REQUIRE_FALSE(u.ok());
    CHECK_MESSAGE(u.error().find(row.needle) != std::string::npos, u.error());
  }
}

TEST_CASE("probe URLs: host_port brackets IPv6 and the request's Host header carries the port") {
  auto v6 = parse_probe_url("https://[::1]:8443/x");
  REQUIRE(v6.ok());
  CHECK(host_port(*v6) == "[::1]:8443");
  CHECK(http_request(*v6) ==
        "GET /x HTTP/1.1\r\nHost: [::1]:8443\r\nUser-Agent: gopreflight-check\r\nAccept: */*\r\n"
        "Connection: close\r\n\r\n");
  auto plain = parse_probe_url("http://api/healthz");
  REQUIRE(plain.ok());
  CHECK(http_request(*plain).find("\r\nHost: api\r\n") != std::string::npos);
  auto tls_default = parse_probe_url("https://api:443");
  REQUIRE(tls_default.ok());
  CHECK(http_request(*tls_default).find("\r\nHost: api\r\n") != std::string::npos);
  auto etcd = parse_probe_url("etcd://etcd:2379");
  REQUIRE(etcd.ok());
  CHECK(http_request(*etcd).rfind("GET /health HTTP/1.1\r\nHost: etcd:2379\r\n", 0) == 0);
}
