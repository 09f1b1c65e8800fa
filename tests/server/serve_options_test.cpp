// `serve`'s option checking (check_serve_options): every bad flag or combination is refused
// before anything is read or opened, with a message naming the flag and its value; the edges
// of every range are accepted.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "gopreflight/webhook/server.hpp"

namespace srv = gopreflight::webhook::server;

namespace {

/// Options that pass: a certificate pair and the defaults.
srv::ServeOptions good() {
  srv::ServeOptions o;
  o.cert_file = "tls.crt";
  o.key_file = "tls.key";
  return o;
}

struct Case {
  const char* name;
  std::function<void(srv::ServeOptions&)> set;
  std::vector<std::string> message;  ///< every one of these is in the error
};

}  // namespace

TEST_CASE("serve options: the defaults with a certificate pair, and --dev-self-signed alone, pass") {
  auto r = srv::check_serve_options(good());
  REQUIRE(r.ok());
  CHECK(r->host == "0.0.0.0");
  CHECK(r->port == 8443);
  srv::ServeOptions dev;
  dev.dev_self_signed = true;
  dev.listen = "[::1]:0";
  r = srv::check_serve_options(dev);
  REQUIRE(r.ok());
  CHECK(r->host == "::1");
  CHECK(r->port == 0);
}

TEST_CASE("serve options: every bad flag is refused, the message names it and its value") {
  const std::vector<Case> cases = {
      {"--listen without a port", [](auto& o) { o.listen = "127.0.0.1"; }, {"--listen 127.0.0.1", "HOST:PORT"}},
      {"--listen port out of range", [](auto& o) { o.listen = "127.0.0.1:70000"; }, {"--listen", "70000"}},
      {"no certificate flags", [](auto& o) { o.cert_file = o.key_file = ""; },
       {"--tls-cert-file and --tls-private-key-file are required", "--dev-self-signed"}},
      {"certificate without key", [](auto& o) { o.key_file = ""; }, {"--tls-private-key-file is required"}},
      {"key without certificate", [](auto& o) { o.cert_file = ""; }, {"--tls-cert-file is required"}},
      {"--dev-self-signed with a certificate", [](auto& o) { o.dev_self_signed = true; },
       {"--dev-self-signed makes its own certificate"}},
      {"--dev-self-signed with a key only", [](auto& o) { o.dev_self_signed = true, o.cert_file = ""; },
       {"--dev-self-signed", "drop --tls-cert-file/--tls-private-key-file"}},
      {"--max-connections 0", [](auto& o) { o.max_connections = 0; }, {"--max-connections 0: must be 1 or more"}},
      {"--worker-threads -1", [](auto& o) { o.worker_threads = -1; }, {"--worker-threads -1: must be 0..1024"}},
      {"--worker-threads 1025", [](auto& o) { o.worker_threads = 1025; }, {"--worker-threads 1025: must be 0..1024"}},
      {"--keep-alive-timeout 0", [](auto& o) { o.keep_alive_timeout_s = 0; }, {"--keep-alive-timeout 0: must be 1..86400"}},
      {"--keep-alive-timeout 86401", [](auto& o) { o.keep_alive_timeout_s = 86401; }, {"--keep-alive-timeout 86401"}},
      {"--handshake-timeout 0", [](auto& o) { o.handshake_timeout_s = 0; }, {"--handshake-timeout 0: must be 1..86400"}},
      {"--handshake-timeout 86401", [](auto& o) { o.handshake_timeout_s = 86401; }, {"--handshake-timeout 86401"}},
      {"--read-timeout 0", [](auto& o) { o.read_timeout_s = 0; }, {"--read-timeout 0: must be 1..86400 seconds"}},
      {"--read-timeout 86401", [](auto& o) { o.read_timeout_s = 86401; }, {"--read-timeout 86401"}},
      {"--write-timeout 0", [](auto& o) { o.write_timeout_s = 0; }, {"--write-timeout 0: must be 1..86400"}},
      {"--write-timeout 90000", [](auto& o) { o.write_timeout_s = 90000; }, {"--write-timeout 90000"}},
      {"--reload-interval-ms 9", [](auto& o) { o.reload_interval_ms = 9; }, {"--reload-interval-ms 9: must be 10 or more"}},
      {"--shutdown-delay -1", [](auto& o) { o.shutdown_delay_s = -1; }, {"--shutdown-delay -1: must be 0..86400"}},
      {"--shutdown-delay 86401", [](auto& o) { o.shutdown_delay_s = 86401; }, {"--shutdown-delay 86401"}},
      {"--shutdown-grace-period 0", [](auto& o) { o.shutdown_grace_s = 0; }, {"--shutdown-grace-period 0: must be 1..86400"}},
      {"--max-body-bytes 0", [](auto& o) { o.max_body_bytes = 0; }, {"--max-body-bytes 0: must be 1 or more"}},
      {"unknown --log-level", [](auto& o) { o.log_level = "loud"; }, {"--log-level loud", "trace, debug, info"}},
      {"empty --log-level", [](auto& o) { o.log_level = ""; }, {"--log-level : expected"}},
  };
  for (const auto& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    auto o = good();
    c.set(o);
    const auto r = srv::check_serve_options(o);
    REQUIRE_FALSE(r.ok());
    CAPTURE(r.error());
    for (const auto& m : c.message) CHECK(r.error().find(m) != std::string::npos);
  }
}

TEST_CASE("serve options: the edges of every range pass") {
  const std::vector<std::function<void(srv::ServeOptions&)>> edges = {
      [](auto& o) { o.max_connections = 1; },
      [](auto& o) { o.worker_threads = 0; },
      [](auto& o) { o.worker_threads = 1024; },
      [](auto& o) { o.keep_alive_timeout_s = o.handshake_timeout_s = o.read_timeout_s = o.write_timeout_s = 1; },
      [](auto& o) { o.keep_alive_timeout_s = o.handshake_timeout_s = o.read_timeout_s = o.write_timeout_s = 86400; },
      [](auto& o) { o.reload_interval_ms = 10; },
      [](auto& o) { o.shutdown_delay_s = 0, o.shutdown_grace_s = 1; },
      [](auto& o) { o.shutdown_delay_s = o.shutdown_grace_s = 86400; },
      [](auto& o) { o.max_body_bytes = 1; },
      [](auto& o) { o.log_level = "off"; },
      [](auto& o) { o.log_level = "trace"; },
  };
  for (std::size_t i = 0; i < edges.size(); ++i) {
    CAPTURE(i);
    auto o = good();
    edges[i](o);
    const auto r = srv::check_serve_options(o);
    CHECK_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error()));
  }
}
