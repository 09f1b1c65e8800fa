// Request framing for the event loop (webhook/server/http_framing.hpp): where one request ends,
// for every way a body can be delimited, at every split point, and where it must give up.
#include <doctest/doctest.h>

#include <string>

#include "http_framing.hpp"

namespace srv = gopreflight::webhook::server;
using srv::RequestFrame;

namespace {
constexpr std::size_t kMaxHeader = 1024;
constexpr std::size_t kMaxBody = 4096;

RequestFrame frame(const std::string& s) { return srv::frame_request(s, kMaxHeader, kMaxBody); }

/// Every proper prefix of `req` is incomplete; `req` itself (and `req` + a next request) is
/// complete at req.size().
void complete_exactly(const std::string& req) {
  for (std::size_t n = 0; n < req.size(); ++n) {
    CAPTURE(n);
    CHECK(frame(req.substr(0, n)).kind == RequestFrame::kIncomplete);
  }
  const RequestFrame f = frame(req);
  CHECK(f.kind == RequestFrame::kComplete);
  CHECK(f.length == req.size());
  const RequestFrame g = frame(req + "GET /healthz HTTP/1.1\r\n\r\n");
  CHECK(g.kind == RequestFrame::kComplete);
  CHECK(g.length == req.size());
}
}  // namespace

TEST_CASE("framing: requests without a body end at the empty line") {
  complete_exactly("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  // A POST with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 6.3).
  complete_exactly("POST /validate HTTP/1.1\r\nContent-Type: application/json\r\n\r\n");
  complete_exactly("POST /validate HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("framing: Content-Length, any header case and spacing, first one wins") {
  complete_exactly("POST /validate HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  complete_exactly("POST /validate HTTP/1.1\r\ncontent-length:5\r\n\r\nhello");
  complete_exactly("POST /validate HTTP/1.1\r\nCONTENT-LENGTH: \t5 \r\nContent-Length: 9\r\n\r\nhello");
  // The body may contain blank lines and header-like text.
  complete_exactly("POST /v HTTP/1.1\r\nContent-Length: 26\r\n\r\n\r\n\r\nContent-Length: 99\r\n\r\n");
}

TEST_CASE("framing: header lines httplib skips (no CR) do not count") {
  // httplib ignores a header line ending in a bare LF, so its Content-Length does not apply,
  // and a bare "\n" does not end the header block.
  const std::string req = "POST /v HTTP/1.1\r\nContent-Length: 3\n\n\r\nabc";
  const RequestFrame f = frame(req);
  REQUIRE(f.kind == RequestFrame::kComplete);
  CHECK(f.length == req.size() - 3);
}

TEST_CASE("framing: chunked bodies end after the zero chunk and the empty line") {
  complete_exactly("POST /v HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  complete_exactly(
      "POST /v HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nContent-Length: 2\r\n\r\n"
      "a;ext=1\r\n0123456789\r\n1\r\n\n\r\n0\r\n\r\n");
  // Chunk data that looks like a chunk header is data.
  complete_exactly("POST /v HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n0\r\n\r\n0\r\n\r\n");
}

TEST_CASE("framing: what it cannot frame is handed over, then the connection closes") {
  SUBCASE("Content-Length that is not a plain number: stop after the headers") {
    const std::string head = "POST /v HTTP/1.1\r\nContent-Length: 5x\r\n\r\n";
    const RequestFrame f = frame(head + "hello");
    CHECK(f.kind == RequestFrame::kClose);
    CHECK(f.length == head.size());
    CHECK(frame("POST /v HTTP/1.1\r\nContent-Length: -1\r\n\r\n").kind == RequestFrame::kClose);
    CHECK(frame("POST /v HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n").kind == RequestFrame::kClose);
  }
  SUBCASE("a declared body over the limit: stop after the headers (httplib answers 413)") {
    const std::string head = "POST /v HTTP/1.1\r\nContent-Length: 4097\r\n\r\n";
    const RequestFrame f = frame(head);
    CHECK(f.kind == RequestFrame::kClose);
    CHECK(f.length == head.size());
    CHECK(frame("POST /v HTTP/1.1\r\nContent-Length: 4096\r\n\r\n").kind == RequestFrame::kIncomplete);
  }
  SUBCASE("a transfer coding other than chunked") {
    CHECK(frame("POST /v HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").kind == RequestFrame::kClose);
  }
  SUBCASE("chunked bodies: bad size line, missing CRLF after data, trailers, over the limit") {
    const std::string head = "POST /v HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    CHECK(frame(head + "zz\r\n").kind == RequestFrame::kClose);
    CHECK(frame(head + "3\r\nabcX\r\n").kind == RequestFrame::kClose);
    CHECK(frame(head + "0\r\nX-Trailer: 1\r\n\r\n").kind == RequestFrame::kClose);
    CHECK(frame(head + "1001\r\n").kind == RequestFrame::kClose);  // 4097 bytes
    CHECK(frame(head + "fffffffffffffffffff\r\n").kind == RequestFrame::kClose);
    CHECK(frame(head + std::string(5000, '1')).kind == RequestFrame::kClose);  // endless size line
    CHECK(frame(head + "1000\r\n").kind == RequestFrame::kIncomplete);  // exactly the limit
  }
  SUBCASE("a header block over the limit, with or without an end of line") {
    CHECK(frame("GET /" + std::string(2000, 'a')).kind == RequestFrame::kClose);
    CHECK(frame("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n").kind == RequestFrame::kClose);
    CHECK(frame("GET / HTTP/1.1\r\nX: " + std::string(900, 'a')).kind == RequestFrame::kIncomplete);
  }
}

TEST_CASE("framing: Expect: 100-continue is reported only while the body is missing") {
  const std::string head = "POST /v HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  CHECK_FALSE(frame(head.substr(0, head.size() - 2)).expect_continue);  // headers not complete
  const RequestFrame waiting = frame(head + "he");
  CHECK(waiting.kind == RequestFrame::kIncomplete);
  CHECK(waiting.expect_continue);
  const RequestFrame done = frame(head + "hello");
  CHECK(done.kind == RequestFrame::kComplete);
  CHECK_FALSE(done.expect_continue);
  // Over the limit: no 100 Continue, the 413 comes instead.
  CHECK_FALSE(frame("POST /v HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n").expect_continue);
  CHECK(frame("POST /v HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n").expect_continue);
}

TEST_CASE("direct path: only plain POSTs with one Content-Length qualify") {
  const std::string ok =
      "POST /validate HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\nConnection: keep-alive\r\n"
      "Content-Length: 2\r\n\r\n{}";
  const auto p = srv::parse_simple_post(ok);
  REQUIRE(p);
  CHECK(p->path == "/validate");
  CHECK(p->content_type == "application/json");
  CHECK(p->body == "{}");
  CHECK_FALSE(p->close);
  const auto c = srv::parse_simple_post("POST /mutate HTTP/1.1\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(c);
  CHECK(c->close);
  CHECK(c->body.empty());
  CHECK(c->content_type.empty());

  const std::string head = "POST /validate HTTP/1.1\r\nContent-Type: application/json\r\n";
  const char* refused[] = {
      "GET /validate HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
      "POST /validate HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
      "POST /validate?x=1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
      "POST /valid%61te HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
      "POST  /validate HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
      "POST / HTTP/1.1\r\n\r\n",                                                   // no Content-Length
      "POST /validate HTTP/1.1\r\nContent-Length: 3\r\n\r\n{}",                    // body shorter
      "POST /validate HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
      "POST /validate HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
      "POST /validate HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
      "POST /validate HTTP/1.1\r\nConnection: upgrade\r\nContent-Length: 2\r\n\r\n{}",
      "POST /validate HTTP/1.1\r\nContent-Length : 2\r\n\r\n{}",
      "POST /validate HTTP/1.1\nContent-Length: 2\r\n\r\n{}",
      "POST /validate HTTP/1.1\r\nContent-Length: 2\n\r\n{}",
      "POST /validate HTTP/1.1\r\nNoColon\r\nContent-Length: 2\r\n\r\n{}",
  };
  for (const char* r : refused) {
    CAPTURE(r);
    CHECK_FALSE(srv::parse_simple_post(r));
  }
  std::string many = head;
  for (int i = 0; i < 70; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
  CHECK_FALSE(srv::parse_simple_post(many + "Content-Length: 2\r\n\r\n{}"));
}
