// Server pieces that need no socket: --listen parsing, file fingerprints across a Secret-style
// `..data` symlink swap, certificate pair loading and checking, Prometheus text.
#include <doctest/doctest.h>

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>

#include "gopreflight/webhook/server.hpp"

namespace srv = gopreflight::webhook::server;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/gopreflight-server-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

}  // namespace

TEST_CASE("--listen accepts HOST:PORT and [IPv6]:PORT, rejects the rest with the flag named") {
  std::string err;
  auto a = srv::parse_listen("127.0.0.1:8443", err);
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8443);
  a = srv::parse_listen("[::1]:9443", err);
  REQUIRE(a);
  CHECK(a->host == "::1");
  CHECK(a->port == 9443);
  a = srv::parse_listen(":8443", err);
  REQUIRE(a);
  CHECK(a->host == "0.0.0.0");
  for (const char* bad : {"8443", "host:", "host:99999", "host:12ab", "::1:80", "[::1]8443", ""}) {
    err.clear();
    CHECK_FALSE(srv::parse_listen(bad, err));
    CHECK(err.find("--listen") != std::string::npos);
  }
}

TEST_CASE("fingerprints change when a Secret volume swaps its ..data symlink") {
  TempDir d;
  fs::create_directory(d.path / "..2026_01");
  fs::create_directory(d.path / "..2026_02");
  write(d.path / "..2026_01" / "tls.crt", "one");
  write(d.path / "..2026_02" / "tls.crt", "two");
  fs::create_directory_symlink("..2026_01", d.path / "..data");
  fs::create_symlink("..data/tls.crt", d.path / "tls.crt");
  const auto before = srv::fingerprint((d.path / "tls.crt").string());
  CHECK(before.exists);
  CHECK(before.resolved.find("..2026_01") != std::string::npos);
  CHECK(srv::fingerprint((d.path / "tls.crt").string()) == before);
  // Atomic swap, as the kubelet does it: new symlink, then rename over ..data.
  fs::create_directory_symlink("..2026_02", d.path / "..data_tmp");
  fs::rename(d.path / "..data_tmp", d.path / "..data");
  const auto after = srv::fingerprint((d.path / "tls.crt").string());
  CHECK(after.exists);
  CHECK(after != before);
  CHECK_FALSE(srv::fingerprint((d.path / "missing.crt").string()).exists);
}

TEST_CASE("certificate pairs: good, mismatched key, garbage, missing, expired") {
  TempDir d;
  std::string err;
  auto a = srv::make_dev_certificates((d.path / "a").string(), {"gopreflight-webhook.gopreflight.svc"}, {"127.0.0.1"}, err);
  REQUIRE_MESSAGE(a, err);
  auto b = srv::make_dev_certificates((d.path / "b").string(), {"other"}, {}, err);
  REQUIRE_MESSAGE(b, err);
  CHECK_FALSE(a->ca_bundle_base64.empty());
  const std::time_t now = std::time(nullptr);

  auto ok = srv::load_cert_pair(a->cert_file, a->key_file, now, err);
  REQUIRE_MESSAGE(ok, err);
  CHECK(ok->info().subject.find("gopreflight-webhook.gopreflight.svc") != std::string::npos);
  CHECK(ok->info().not_after > now);
  CHECK(ok->info().not_before <= now);

  err.clear();
  CHECK_FALSE(srv::load_cert_pair(a->cert_file, b->key_file, now, err));
  CHECK(err.find("does not match") != std::string::npos);

  write(d.path / "garbage.crt", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  err.clear();
  CHECK_FALSE(srv::load_cert_pair((d.path / "garbage.crt").string(), a->key_file, now, err));
  CHECK(err.find("garbage.crt") != std::string::npos);

  err.clear();
  CHECK_FALSE(srv::load_cert_pair((d.path / "none.crt").string(), a->key_file, now, err));
  CHECK(err.find("none.crt") != std::string::npos);

  err.clear();
  CHECK_FALSE(srv::load_cert_pair(a->cert_file, a->key_file, now + 30L * 24 * 3600, err));
  CHECK(err.find("expired") != std::string::npos);
}

TEST_CASE("metrics render counters, the latency histogram, reloads and certificate expiry") {
  srv::Metrics m;
  m.observe_review("validate", "CREATE", "Pod", "denied", {"podSecurity", "goRuntime"}, 0.0007);
  m.observe_review("validate", "CREATE", "Pod", "denied", {"podSecurity"}, 0.003);
  m.observe_review("mutate", "CREATE", "Pod", "patched", {"injection"}, 5.0);
  m.observe_http(200);
  m.observe_http(413);
  m.policy_reload(true);
  m.certificate_reload(false);
  m.set_certificate({"/CN=x", 100, 1900000000});
  m.set_ready(true);
  const std::string t = m.render();
  CHECK(t.find(R"(gopreflight_webhook_reviews_total{endpoint="validate",operation="CREATE",kind="Pod",decision="denied"} 2)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_rule_hits_total{endpoint="validate",rule="podSecurity"} 2)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_rule_hits_total{endpoint="validate",rule="goRuntime"} 1)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_review_duration_seconds_bucket{endpoint="validate",le="0.001"} 1)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_review_duration_seconds_bucket{endpoint="validate",le="0.005"} 2)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_review_duration_seconds_bucket{endpoint="mutate",le="2.5"} 0)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_review_duration_seconds_bucket{endpoint="mutate",le="+Inf"} 1)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_review_duration_seconds_count{endpoint="validate"} 2)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_http_responses_total{code="413"} 1)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_policy_reloads_total{result="success"} 1)") != std::string::npos);
  CHECK(t.find(R"(gopreflight_webhook_certificate_reloads_total{result="failure"} 1)") != std::string::npos);
  CHECK(t.find("gopreflight_webhook_certificate_not_after_seconds 1900000000") != std::string::npos);
  CHECK(t.find("gopreflight_webhook_ready 1") != std::string::npos);
  // Connections the server ended, one series per reason, and the build (issues 10 and 14).
  m.connections_closed()[1] += 3;  // CloseReason::kRequestDeadline
  const std::string u = m.render();
  CHECK(u.find(R"(gopreflight_webhook_connections_closed_total{reason="request_deadline"} 3)") != std::string::npos);
  CHECK(u.find(R"(gopreflight_webhook_connections_closed_total{reason="evicted"} 0)") != std::string::npos);
  const auto bi = u.find(R"(gopreflight_build_info{version=")");
  REQUIRE(bi != std::string::npos);
  const std::string line = u.substr(bi, u.find('\n', bi) - bi);
  CHECK(line.find(R"(",openssl="OpenSSL 3.)") != std::string::npos);
  CHECK(line.substr(line.size() - 3) == "} 1");
  CHECK(line.find(R"(version="")") == std::string::npos);  // a version is filled in
  // Label values are escaped.
  m.observe_review("validate", "CREATE", "We\"ird\\", "allowed", {}, 0.001);
  CHECK(m.render().find(R"(kind="We\"ird\\")") != std::string::npos);
}
