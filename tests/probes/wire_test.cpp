// The probes' reply parsers on literal bytes: RESP, PostgreSQL SSLRequest answers, HTTP/1.x
// responses (framing, caps, garbage, truncation) and etcd's /health JSON.
#include <doctest/doctest.h>

#include <string>

#include "gopreflight/initcheck/probe.hpp"

using namespace gopreflight::initcheck::probe_detail;
using namespace std::string_literals;

TEST_CASE("RESP: replies, partial lines, garbage and oversized lines") {
  auto pong = parse_resp_reply("+PONG\r\n");
  REQUIRE(pong.ok());
  REQUIRE(pong->has_value());
  CHECK((*pong)->kind == '+');
  CHECK((*pong)->text == "PONG");

  auto noauth = parse_resp_reply("-NOAUTH Authentication required.\r\n");
  REQUIRE(noauth.ok());
  REQUIRE(noauth->has_value());
  CHECK((*noauth)->kind == '-');
  CHECK((*noauth)->text == "NOAUTH Authentication required.");

  for (const char* partial : {"", "+", "+PON", "+PONG\r"}) {
    CAPTURE(partial);
    auto r = parse_resp_reply(partial);
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
  }

  auto http = parse_resp_reply("HTTP/1.1 400 Bad Request\r\n");
  REQUIRE_FALSE(http.ok());
  CHECK(http.error().find("first byte 'H' (0x48)") != std::string::npos);

  auto binary = parse_resp_reply("\x16\x03\x01\x00"s);
  REQUIRE_FALSE(binary.ok());
  CHECK(binary.error().find("0x16") != std::string::npos);

  auto nul = parse_resp_reply("\0PONG\r\n"s);
  REQUIRE_FALSE(nul.ok());
  CHECK(nul.error().find("0x00") != std::string::npos);

  auto long_line = parse_resp_reply("+" + std::string(600, 'a'));
  REQUIRE_FALSE(long_line.ok());
  CHECK(long_line.error().find("512") != std::string::npos);
  auto long_done = parse_resp_reply("-" + std::string(600, 'a') + "\r\n");
  CHECK_FALSE(long_done.ok());
}

TEST_CASE("PostgreSQL SSLRequest answers: S, N, ErrorResponse, banners and garbage") {
  auto s = parse_pg_ssl_reply("S");
  REQUIRE(s.ok());
  CHECK(s->value() == 'S');
  auto n = parse_pg_ssl_reply("N");
  REQUIRE(n.ok());
  CHECK(n->value() == 'N');
  auto none = parse_pg_ssl_reply("");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  auto err = parse_pg_ssl_reply("E\0\0\0\x10SFATAL\0"s);
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().find("ErrorResponse") != std::string::npos);

  auto ssh = parse_pg_ssl_reply("SSH-2.0-OpenSSH_9.2p1\r\n");
  REQUIRE_FALSE(ssh.ok());
  CHECK(ssh.error().find("bytes instead of one") != std::string::npos);
  CHECK(ssh.error().find("SSH-2.0") != std::string::npos);

  auto http = parse_pg_ssl_reply("HTTP/1.1 400");
  REQUIRE_FALSE(http.ok());
  CHECK(http.error().find("'H' (0x48)") != std::string::npos);

  auto high = parse_pg_ssl_reply("\xff"s);
  REQUIRE_FALSE(high.ok());
  CHECK(high.error().find("0xff") != std::string::npos);
}

namespace {

HttpResponse parsed(std::string_view bytes, bool eof) {
  auto r = parse_http_response(bytes, eof);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error()));
  REQUIRE(r->has_value());
  return **r;
}

void incomplete(std::string_view bytes) {
  auto r = parse_http_response(bytes, false);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error()));
  CHECK_FALSE(r->has_value());
}

std::string failed(std::string_view bytes, bool eof) {
  auto r = parse_http_response(bytes, eof);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

}  // namespace

TEST_CASE("HTTP: Content-Length, chunked, read-to-EOF and no-body responses") {
  auto cl = parsed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", false);
  CHECK(cl.status == 200);
  CHECK(cl.reason == "OK");
  CHECK(cl.body == "hello");
  CHECK_FALSE(cl.truncated);
  REQUIRE(cl.headers.size() == 2);
  CHECK(cl.headers[0].first == "content-type");
  CHECK(cl.headers[0].second == "text/plain");

  auto chunked = parsed(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n",
      false);
  CHECK(chunked.body == "hello, world");

  auto lf_only = parsed("HTTP/1.0 503 Service Unavailable\nContent-Length: 2\n\nno", false);
  CHECK(lf_only.status == 503);
  CHECK(lf_only.body == "no");

  incomplete("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody until close");
  auto eof_body = parsed("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody until close", true);
  CHECK(eof_body.body == "body until close");

  auto no_reason = parsed("HTTP/1.1 204\r\n\r\n", false);
  CHECK(no_reason.status == 204);
  CHECK(no_reason.reason.empty());

  auto not_modified = parsed("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false);
  CHECK(not_modified.body.empty());

  auto interim = parsed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", false);
  CHECK(interim.status == 201);

  // Transfer-Encoding wins over Content-Length (RFC 9112 6.3).
  auto te_wins = parsed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                        false);
  CHECK(te_wins.body == "ok");
}

TEST_CASE("HTTP: partial responses need more bytes; EOF in the middle is an error") {
  const std::string full = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody";
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    CAPTURE(cut);
    incomplete(std::string_view(full).substr(0, cut));
    if (cut > 0) CHECK_FALSE(parse_http_response(std::string_view(full).substr(0, cut), true).ok());
  }
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n";
  for (std::size_t cut = 0; cut < chunked.size(); ++cut) {
    CAPTURE(cut);
    incomplete(std::string_view(chunked).substr(0, cut));
  }
  CHECK(failed("", true).find("without an HTTP response") != std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true).find("3 of 10") != std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", true).find("inside a chunk") !=
        std::string::npos);
}

TEST_CASE("HTTP: garbage, bad framing and oversized parts are errors that say what was wrong") {
  CHECK(failed("SSH-2.0-OpenSSH\r\n", false).find("not an HTTP response") != std::string::npos);
  CHECK(failed("+PONG\r\n", false).find("not an HTTP response: received '+PONG\\r\\n'") != std::string::npos);
  CHECK(failed("\x15\x03\x03\x00\x02\x02\x46"s, false).find("\\x15") != std::string::npos);
  CHECK(failed("HTTP/2 200\r\n\r\n", false).find("bad HTTP status line") != std::string::npos);
  CHECK(failed("HTTP/1.1 20 OK\r\n\r\n", false).find("bad HTTP status line") != std::string::npos);
  CHECK(failed("HTTP/1.1 600 Nope\r\n\r\n", false).find("bad HTTP status line") != std::string::npos);
  CHECK(failed("HTTP/1.1 200OK\r\n\r\n", false).find("bad HTTP status line") != std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", false).find("bad HTTP header line") != std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", false).find("bad HTTP header name") != std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", false).find("line folding") != std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false).find("Content-Length") != std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", false).find("Content-Length") != std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", false).find("Content-Length") !=
        std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false).find("conflicting") !=
        std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false).find("bad chunk size") !=
        std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", false).find("bad chunk size") !=
        std::string::npos);
  CHECK(failed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX", false).find("CRLF") !=
        std::string::npos);

  // Header section over 16 KiB, with or without an end in sight.
  const std::string big_header = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(kMaxHttpHeader, 'a') + "\r\n\r\n";
  CHECK(failed(big_header, false).find("16 KiB") != std::string::npos);
  CHECK(failed(std::string_view(big_header).substr(0, kMaxHttpHeader + 40), false).find("16 KiB") !=
        std::string::npos);
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 300; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(failed(many + "\r\n", false).find("more than 200") != std::string::npos);
  CHECK(failed("HTTP/1.1 " + std::string(kMaxHttpHeader + 10, '2'), false).find("16 KiB") != std::string::npos);
}

TEST_CASE("HTTP: bodies are capped at 64 KiB and marked truncated") {
  const std::string big(kMaxHttpBody + 100, 'x');
  auto cl = parsed("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big, false);
  CHECK(cl.truncated);
  CHECK(cl.body.size() == kMaxHttpBody);
  // A 1 GB Content-Length is not waited for once 64 KiB have arrived.
  auto huge = parsed("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n" + big, false);
  CHECK(huge.truncated);
  incomplete("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n" + std::string(100, 'x'));
  auto eof_body = parsed("HTTP/1.1 200 OK\r\n\r\n" + big, false);
  CHECK(eof_body.truncated);
  std::string chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) chunks += "4000\r\n" + std::string(0x4000, 'c') + "\r\n";
  auto ch = parsed(chunks, false);
  CHECK(ch.truncated);
  CHECK(ch.body.size() == kMaxHttpBody);
}

TEST_CASE("etcd /health bodies") {
  auto ok = parse_etcd_health(R"({"health":"true"})");
  REQUIRE(ok.ok());
  CHECK(ok->healthy);
  auto ok35 = parse_etcd_health(R"({"health":"true","reason":""})");
  REQUIRE(ok35.ok());
  CHECK(ok35->healthy);
  auto bad = parse_etcd_health(R"({"health":"false","reason":"ALARM NOSPACE"})");
  REQUIRE(bad.ok());
  CHECK_FALSE(bad->healthy);
  CHECK(bad->reason == "ALARM NOSPACE");
  auto boolean = parse_etcd_health(R"({"health":false})");
  REQUIRE(boolean.ok());
  CHECK_FALSE(boolean->healthy);

  for (const char* body : {"", "true", "[]", "{\"health\":", "<html>ok</html>", "{\"status\":\"ok\"}",
                           "{\"health\":\"yes\"}", "{\"health\":1}", "{\"health\":null}"}) {
    CAPTURE(body);
    auto r = parse_etcd_health(body);
    CHECK_FALSE(r.ok());
  }
  auto deep = parse_etcd_health(std::string(100000, '[') + std::string(100000, ']'));
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().find("64 KiB") != std::string::npos);
  auto nested = parse_etcd_health("{\"health\":\"true\",\"x\":" + std::string(20, '[') + std::string(20, ']') + "}");
  REQUIRE_FALSE(nested.ok());
  CHECK(nested.error().find("deeper than 16") != std::string::npos);
  auto brackets_in_strings = parse_etcd_health(R"({"health":"true","reason":"[[[[[[[[[[[[[[[[[[[[\"{{{{"})");
  CHECK(brackets_in_strings.ok());
}
