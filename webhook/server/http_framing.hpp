#pragma once
// The one parser that decides where an HTTP/1.1 request ends and whether it is served at all.
// Nothing else parses requests: the server routes and answers what this accepts, and answers
// every refusal with its status and closes the connection (where a next request would start
// is then unknown, so none is read).
//
// Accepted, and only this (what the kube-apiserver, the kubelet's probes and Prometheus send):
// - request line `METHOD SP /origin-form-target SP HTTP/1.1` CRLF; method and target of
//   visible ASCII; the target starts with "/";
// - header lines `name: value` CRLF, a token name right before the colon, values without
//   control characters; the block ends at the first empty line (CRLF CRLF);
// - a body only on POST, framed by exactly one Content-Length of decimal digits, at most
//   `max_body` bytes; GET/HEAD and other methods carry none (Content-Length absent or 0);
// - `Expect: 100-continue` (the caller sends the interim answer), `Connection: close`.
// Refused (status, then close): another HTTP version (505), a bare LF or CR, obs-fold (a line
// starting with SP/HTAB), a malformed header line or request line (400); any
// Transfer-Encoding, chunked included (411, or 400 beside a Content-Length); any
// Content-Encoding (415: nothing is ever decompressed); repeated or malformed Content-Length,
// a body on GET/HEAD (400); a POST without Content-Length (411); a body over `max_body` (413,
// decided from the headers, before the body is read); a header block over `max_header` (431);
// another Expect (417); more than 64 header lines (431); a second Host or Content-Type (400).
#include <cstddef>
#include <string_view>

namespace gopreflight::webhook::server {

/// One request the framing accepted; views into the caller's buffer.
struct HttpRequest {
  std::string_view method, target;
  std::string_view path;  ///< target up to '?'
  std::string_view content_type;
  std::string_view body;
  bool close = false;  ///< Connection: close
};

struct FrameLimits {
  std::size_t max_header = 16 * 1024;  ///< request line + header block, CRLFs included
  std::size_t max_body = 3 * 1024 * 1024;
};

struct RequestFrame {
  enum Kind {
    kIncomplete,  ///< more bytes needed
    kComplete,    ///< `length` bytes form `request`
    kRefuse,      ///< answer `status` with `reason`, then close the connection
  };
  Kind kind = kIncomplete;
  std::size_t length = 0;
  HttpRequest request;
  int status = 0;
  std::string_view reason;  ///< a static text naming what was wrong
  /// kIncomplete with the headers complete: the bytes the whole request needs (0: unknown yet),
  /// and whether it asked for `Expect: 100-continue`.
  std::size_t need = 0;
  bool expect_continue = false;
};

/// Frames the request at the start of `buf`. Pure; see the contract above.
RequestFrame frame_request(std::string_view buf, const FrameLimits& limits);

/// The incremental form the event loop uses: between calls `buf` only grows at the end (the
/// same request's bytes), until reset() after a request is consumed. A call costs time in
/// proportion to the new bytes, not the buffered ones, while the header block is incomplete,
/// and nothing while the body is short: a client sending a byte at a time cannot make the
/// server rescan what it already has.
class RequestScanner {
 public:
  RequestFrame next(std::string_view buf, const FrameLimits& limits);
  void reset() { scanned_ = 0, need_ = 0, expect_continue_ = false; }

 private:
  std::size_t scanned_ = 0;  ///< bytes searched for the header block's end
  std::size_t need_ = 0;     ///< headers parsed: the request's whole length
  bool expect_continue_ = false;
};

/// The reason phrase of the statuses the server sends.
std::string_view status_text(int status);

}  // namespace gopreflight::webhook::server
