#pragma once
// Where one HTTP/1.1 request ends in a buffer of received bytes, so the event loop hands httplib
// a complete request and never lets it wait on a socket. Framing only: httplib still parses and
// validates the request line, headers and body, and answers 400/413/414 for bad ones.
//
// The rules follow what httplib 0.11.4 reads, so both agree on the boundary:
// - headers end at the first empty line ("\r\n" or "\n");
// - `Transfer-Encoding: chunked` (first such header, case-insensitive value) wins over
//   Content-Length; the body ends after the zero-size chunk and the one line httplib reads after
//   it (httplib takes no trailers);
// - otherwise the first Content-Length, digits only;
// - otherwise no body (RFC 9112 6.3: a request without either has none).
#include <cstddef>
#include <optional>
#include <string_view>

namespace gopreflight::webhook::server {

struct RequestFrame {
  enum Kind {
    kIncomplete,  ///< more bytes needed
    kComplete,    ///< `length` bytes form one request
    /// The framing is unusable or over a limit (header block over `max_header`, body over
    /// `max_body`, a Content-Length that is not a number, a Transfer-Encoding other than chunked,
    /// a malformed chunk): give httplib the first `length` bytes to answer (400/413), then
    /// close the connection, since where the next request starts is unknown.
    kClose,
  };
  Kind kind = kIncomplete;
  std::size_t length = 0;
  /// The headers are complete and ask for `Expect: 100-continue` (before the body is complete).
  bool expect_continue = false;
};

/// `max_header`: the longest header block (request line included) to wait for; `max_body`: the
/// largest body (the server's --max-body-bytes). A declared Content-Length above `max_body`
/// is framed as kClose right after the headers, so httplib answers 413 without the body.
RequestFrame frame_request(std::string_view buf, std::size_t max_header, std::size_t max_body);

/// A framed request plain enough to answer without httplib (the server's path for reviews):
/// `POST <path> HTTP/1.1`, every header line `Name: value` ending in CRLF, one Content-Length
/// equal to the body's size, no Transfer-Encoding, no Expect, Connection absent, `keep-alive` or
/// `close`, at most 64 header lines. Anything else (also: a path with a query or escapes) is
/// nullopt, and httplib handles the request as before.
struct SimplePost {
  std::string_view path, content_type, body;
  bool close = false;  ///< Connection: close
};
std::optional<SimplePost> parse_simple_post(std::string_view request);

}  // namespace gopreflight::webhook::server
