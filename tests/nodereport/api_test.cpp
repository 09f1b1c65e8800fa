// node-report's apiserver client parts that need no server: token re-read, request bytes,
// port parsing, failure text, backoff.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "nodereport/api.hpp"

using namespace gopreflight::initcheck::nodereport;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "gp-nodereport-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() { fs::remove_all(path); }
};
void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::trunc) << s; }
}  // namespace

TEST_CASE("TokenSource: cached while unchanged, re-read after a rotation (symlink swap as the kubelet does)") {
  TempDir d;
  // kubelet's projected volume: token -> ..data/token, ..data -> ..<timestamp> (swapped atomically)
  fs::create_directory(d.path / "..v1");
  write(d.path / "..v1" / "token", "tok-one\n");
  fs::create_directory_symlink("..v1", d.path / "..data");
  fs::create_symlink("..data/token", d.path / "token");
  TokenSource ts((d.path / "token").string());
  auto a = ts.get();
  REQUIRE(a.ok());
  CHECK(*a == "tok-one");
  CHECK(*ts.get() == "tok-one");
  CHECK(ts.reads() == 1);  // unchanged: not read again

  fs::create_directory(d.path / "..v2");
  write(d.path / "..v2" / "token", "tok-two");
  fs::create_directory_symlink("..v2", d.path / "..data.tmp");
  fs::rename(d.path / "..data.tmp", d.path / "..data");
  CHECK(*ts.get() == "tok-two");
  CHECK(ts.reads() == 2);

  ts.invalidate();  // after a 401
  CHECK(*ts.get() == "tok-two");
  CHECK(ts.reads() == 3);
}

TEST_CASE("TokenSource: missing, empty and garbage files are errors naming the file") {
  TempDir d;
  TokenSource missing((d.path / "nope").string());
  auto m = missing.get();
  REQUIRE_FALSE(m.ok());
  CHECK(m.error() == "service-account token " + (d.path / "nope").string() + ": No such file or directory");
  write(d.path / "empty", "  \n");
  CHECK(TokenSource((d.path / "empty").string()).get().error().find("the file is empty") != std::string::npos);
  write(d.path / "spaces", "abc def");
  CHECK(TokenSource((d.path / "spaces").string()).get().error().find("not a bearer token") != std::string::npos);
}

TEST_CASE("api_request_text: method, path, bearer token, body framing, Connection: close") {
  auto r = api_request_text("PATCH", "/api/v1/nodes/n1/status", "10.96.0.1", 443, "TOK",
                            "application/strategic-merge-patch+json", "{}");
  CHECK(r ==
        "PATCH /api/v1/nodes/n1/status HTTP/1.1\r\nHost: 10.96.0.1\r\nAuthorization: Bearer TOK\r\n"
        "User-Agent: gopreflight-check/node-report\r\nAccept: application/json\r\n"
        "Content-Type: application/strategic-merge-patch+json\r\nContent-Length: 2\r\n"
        "Connection: close\r\n\r\n{}");
  auto g = api_request_text("GET", "/api/v1/nodes/n1", "fd00::1", 6443, "T", "", "");
  CHECK(g.rfind("GET /api/v1/nodes/n1 HTTP/1.1\r\nHost: [fd00::1]:6443\r\n", 0) == 0);
  CHECK(g.find("Content-Length") == std::string::npos);
}

TEST_CASE("parse_port") {
  CHECK(*parse_port("443") == 443);
  CHECK(*parse_port("65535") == 65535);
  for (const char* bad : {"", "0", "65536", "44a", "-1", " 443"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_port(bad).ok());
  }
}

TEST_CASE("describe_failure: status, the apiserver's message, and a hint for 401 and 403") {
  ApiResponse r;
  r.status = 403;
  r.body = R"({"kind":"Status","message":"nodes \"n1\" is forbidden: User \"system:serviceaccount:x:y\" cannot patch resource \"nodes/status\""})";
  auto s = describe_failure("PATCH /api/v1/nodes/n1/status", r);
  CHECK(s.rfind("PATCH /api/v1/nodes/n1/status: HTTP 403: nodes \"n1\" is forbidden: User", 0) == 0);
  CHECK(s.find("RBAC") != std::string::npos);
  r.status = 401;
  r.body = R"({"kind":"Status","message":"Unauthorized"})";
  CHECK(describe_failure("GET x", r) ==
        "GET x: HTTP 401: Unauthorized (the service-account token was refused: expired, revoked, or for another cluster)");
}

TEST_CASE("Backoff: doubles from initial, capped; retryable statuses") {
  Backoff b{std::chrono::milliseconds(500), std::chrono::milliseconds(4000), 2.0};
  CHECK(b.delay(0).count() == 500);
  CHECK(b.delay(1).count() == 1000);
  CHECK(b.delay(2).count() == 2000);
  CHECK(b.delay(3).count() == 4000);
  CHECK(b.delay(10).count() == 4000);
  CHECK(b.delay(5000).count() == 4000);  // no overflow
  CHECK(b.delay(-1).count() == 500);
  for (int s : {409, 429, 500, 503}) CHECK(retryable(s));
  for (int s : {400, 401, 403, 404, 422}) CHECK_FALSE(retryable(s));
}
