// The one request parser (webhook/server/http_framing.hpp): where a request ends, at every split
// point, and every framing it refuses (status and reason), incremental scanning included.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "http_framing.hpp"

namespace srv = gopreflight::webhook::server;
using srv::RequestFrame;

namespace {
const srv::FrameLimits kLimits{1024, 4096};

RequestFrame frame(const std::string& s) { return srv::frame_request(s, kLimits); }

/// Feeds `s` to a RequestScanner one byte at a time (the worst trickle) and returns the first
/// answer that is not kIncomplete (or the last one).
RequestFrame trickle(const std::string& s) {
  srv::RequestScanner sc;
  RequestFrame f;
  for (std::size_t n = 1; n <= s.size(); ++n) {
    f = sc.next(std::string_view(s).substr(0, n), kLimits);
    if (f.kind != RequestFrame::kIncomplete) return f;
  }
  return f;
}

/// Every proper prefix of `req` is incomplete; `req` itself (and `req` + a next request) is
/// complete at req.size(), whole or trickled.
void complete_exactly(const std::string& req) {
  for (std::size_t n = 0; n < req.size(); ++n) {
    CAPTURE(n);
    CHECK(frame(req.substr(0, n)).kind == RequestFrame::kIncomplete);
  }
  const RequestFrame f = frame(req);
  CHECK(f.kind == RequestFrame::kComplete);
  CHECK(f.length == req.size());
  const RequestFrame g = frame(req + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(g.kind == RequestFrame::kComplete);
  CHECK(g.length == req.size());
  const RequestFrame t = trickle(req);
  CHECK(t.kind == RequestFrame::kComplete);
  CHECK(t.length == req.size());
}

void refused(const std::string& req, int status) {
  CAPTURE(req);
  const RequestFrame f = frame(req);
  CHECK(f.kind == RequestFrame::kRefuse);
  CHECK(f.status == status);
  CHECK_FALSE(f.reason.empty());
  const RequestFrame t = trickle(req);
  CHECK(t.kind == RequestFrame::kRefuse);
  CHECK(t.status == status);
}
}  // namespace

TEST_CASE("framing: what the apiserver, kubelet and Prometheus send") {
  const std::string review =
      "POST /validate?timeout=10s HTTP/1.1\r\nHost: gopreflight-webhook.gopreflight.svc:443\r\n"
      "User-Agent: kube-apiserver-admission\r\nContent-Length: 2\r\nAccept: application/json, */*\r\n"
      "Content-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n{}";
  complete_exactly(review);
  const RequestFrame f = frame(review);
  CHECK(f.request.method == "POST");
  CHECK(f.request.path == "/validate");
  CHECK(f.request.target == "/validate?timeout=10s");
  CHECK(f.request.content_type == "application/json");
  CHECK(f.request.body == "{}");
  CHECK_FALSE(f.request.close);
  complete_exactly("GET /healthz HTTP/1.1\r\nHost: 10.0.0.1:8443\r\nUser-Agent: kube-probe/1.30\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  CHECK(frame("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close\r\n\r\n").request.close);
  complete_exactly("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nContent-Length: 0\r\n\r\n");
  complete_exactly("HEAD /readyz HTTP/1.1\r\nhost: x\r\n\r\n");
  // The body may hold blank lines and request-like text: it is data.
  complete_exactly("POST /v HTTP/1.1\r\nHost: x\r\nContent-Length: 36\r\n\r\n\r\n\r\nGET /x HTTP/1.1\r\nHost: y\r\n\r\n\r\n\r\n");
}

TEST_CASE("framing: every other framing is refused, with a status") {
  const std::string h = "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  // Bodies: only one plain Content-Length; no transfer or content coding.
  refused(h + "Transfer-Encoding: chunked\r\n\r\n5bc\r\n", 411);
  refused(h + "Transfer-Encoding: chunked\r\n\r\n0x5bc\r\n", 411);
  refused(h + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello", 400);
  refused(h + "Content-Length: 5\r\nTransfer-Encoding: identity\r\n\r\nhello", 400);
  refused(h + "Content-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello", 415);
  refused(h + "Content-Encoding: br\r\nContent-Length: 5\r\n\r\nhello", 415);
  refused(h + "Content-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello", 415);
  refused(h + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400);
  refused(h + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400);
  refused(h + "Content-Length: 5, 5\r\n\r\nhello", 400);
  refused(h + "Content-Length: 5x\r\n\r\nhello", 400);
  refused(h + "Content-Length: -1\r\n\r\n", 400);
  refused(h + "Content-Length: +5\r\n\r\nhello", 400);
  refused(h + "Content-Length: 99999999999999999999999\r\n\r\n", 400);
  refused(h + "Content-Length: 4097\r\n\r\n", 413);  // decided before any body byte
  refused(h + "\r\n", 411);                           // POST without a length
  refused("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 400);
  refused("DELETE /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 400);
  // Syntax: CRLF only, no folding, token names, no control characters.
  refused("POST /validate HTTP/1.1\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 400);
  refused(h + "Content-Length: 2\n\r\n{}", 400);
  refused(h + "Content-Length: 2\r\n\n{}", 400);
  refused(h + "X-A: 1\rContent-Length: 2\r\n\r\n{}", 400);
  refused(h + "X-A: 1\r\n Content-Length: 2\r\n\r\n{}", 400);   // obs-fold
  refused(h + "X-A: 1\r\n\tfolded\r\nContent-Length: 2\r\n\r\n{}", 400);
  refused(h + "Content-Length : 2\r\n\r\n{}", 400);
  refused(h + "NoColon\r\nContent-Length: 2\r\n\r\n{}", 400);
  refused(h + "X-A: a\x01b\r\nContent-Length: 2\r\n\r\n{}", 400);
  static constexpr char kNul[] = "X-A: a\0b\r\nContent-Length: 2\r\n\r\n{}";
  refused(h + std::string(kNul, sizeof kNul - 1), 400);
  refused("POST /validate HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400);  // no Host
  refused(h + "Host: y\r\nContent-Length: 2\r\n\r\n{}", 400);
  refused(h + "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}", 400);
  refused(h + "Expect: something\r\nContent-Length: 2\r\n\r\n{}", 417);
  // Request line.
  refused("POST /validate HTTP/1.0\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 505);
  refused("POST /validate HTTP/2.0\r\nHost: x\r\n\r\n", 505);
  refused("POST /validate http/1.1\r\nHost: x\r\n\r\n", 400);
  refused("POST  /validate HTTP/1.1\r\nHost: x\r\n\r\n", 400);
  refused("POST http://x/validate HTTP/1.1\r\nHost: x\r\n\r\n", 400);
  refused("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400);
  refused("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
  refused("GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400);
  refused("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
  // Sizes.
  refused("GET /" + std::string(2000, 'a'), 414);
  refused("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n", 431);
  refused("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a'), 431);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 70; ++i) many += "X" + std::to_string(i) + ": y\r\n";
  refused(many + "\r\n", 431);
  CHECK(frame("GET / HTTP/1.1\r\nX: " + std::string(900, 'a')).kind == RequestFrame::kIncomplete);
  CHECK(frame(h + "Content-Length: 4096\r\n\r\n").kind == RequestFrame::kIncomplete);  // exactly the limit
}

TEST_CASE("framing: a request hidden in a chunk is never served (issue 10's 0x5bc)") {
  const std::string hidden = "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
  const std::string attack = "POST /validate?x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n0x5bc\r\n" + hidden + "\r\n0\r\n\r\n";
  const RequestFrame f = frame(attack);
  CHECK(f.kind == RequestFrame::kRefuse);  // nothing after the headers is read as a request
}

TEST_CASE("framing: Expect: 100-continue is reported only while the body is missing") {
  const std::string head = "POST /v HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  CHECK_FALSE(frame(head.substr(0, head.size() - 2)).expect_continue);  // headers not complete
  const RequestFrame waiting = frame(head + "he");
  CHECK(waiting.kind == RequestFrame::kIncomplete);
  CHECK(waiting.expect_continue);
  CHECK(waiting.need == head.size() + 5);
  const RequestFrame done = frame(head + "hello");
  CHECK(done.kind == RequestFrame::kComplete);
  CHECK_FALSE(done.expect_continue);
  // Over the limit: no 100 Continue, the 413 comes instead.
  CHECK(frame("POST /v HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n").status == 413);
}

TEST_CASE("framing: the scanner does not rescan a trickled header block or a short body") {
  // A pipelined stream fed in odd pieces yields the same requests as frame_request on the whole.
  const std::string a = "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
  const std::string b = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string stream = a + b + a;
  for (std::size_t piece : {1u, 2u, 3u, 7u, 64u}) {
    CAPTURE(piece);
    srv::RequestScanner sc;
    std::string buf;
    std::vector<std::size_t> lengths;
    for (std::size_t i = 0; i < stream.size(); i += piece) {
      buf += stream.substr(i, piece);
      for (;;) {
        const RequestFrame f = sc.next(buf, kLimits);
        if (f.kind != RequestFrame::kComplete) break;
        lengths.push_back(f.length);
        buf.erase(0, f.length);
        sc.reset();
      }
    }
    CHECK(lengths == std::vector<std::size_t>{a.size(), b.size(), a.size()});
    CHECK(buf.empty());
  }
}
