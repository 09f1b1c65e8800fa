// Request framing (see http_framing.hpp).
#include "http_framing.hpp"

#include <algorithm>
#include <cstdint>

namespace gopreflight::webhook::server {
namespace {

constexpr std::size_t npos = std::string_view::npos;
constexpr int kMaxHeaderLines = 64;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// RFC 9110 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

/// Field value octets: HTAB, SP, VCHAR, obs-text; no other control character.
bool is_field_value(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
  }
  return true;
}

/// Decimal digits only, no overflow.
bool parse_length(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

/// A comma-separated list (Connection) holds `token`.
bool list_has(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

RequestFrame refuse(int status, std::string_view reason) {
  RequestFrame f;
  f.kind = RequestFrame::kRefuse;
  f.status = status;
  f.reason = reason;
  return f;
}

/// Where the header block can be judged: just past its end (CRLF CRLF), or at a bare LF or a
/// CR not followed by LF, searching from `from`; npos when none is in `buf` yet. The scanner and
/// frame_request both wait for it, so a request is judged the same however its bytes arrive.
std::size_t decision_point(std::string_view buf, std::size_t from) {
  for (std::size_t i = from; i < buf.size(); ++i) {
    const char c = buf[i];
    if (c == '\n') {
      if (i == 0 || buf[i - 1] != '\r') return i + 1;                     // bare LF
      if (i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') return i + 1;  // CRLF CRLF
    } else if (i > 0 && buf[i - 1] == '\r') {
      return i;  // a CR not followed by LF
    }
  }
  return npos;
}

}  // namespace

RequestFrame frame_request(std::string_view buf, const FrameLimits& limits) {
  if (buf.size() <= limits.max_header && decision_point(buf, 0) == npos) return {};
  std::size_t pos = 0;
  // One line: [pos, eol) without its CRLF; npos: incomplete. Sets `bad` on a bare LF or CR.
  const char* bad = nullptr;
  auto next_line = [&](std::string_view& line) {
    const std::size_t lf = buf.find('\n', pos);
    if (lf == npos) {
      // No LF follows: a CR before the last byte is a bare one.
      const std::size_t cr = buf.find('\r', pos);
      if (cr != npos && cr + 1 < buf.size()) bad = "a bare CR in the header block";
      return false;
    }
    if (lf == pos || buf[lf - 1] != '\r') {
      bad = "a header line ends in a bare LF (CRLF required)";
      return true;
    }
    line = buf.substr(pos, lf - 1 - pos);
    if (line.find('\r') != npos) bad = "a bare CR in the header block";
    pos = lf + 1;
    return true;
  };

  HttpRequest req;
  std::string_view line;
  if (!next_line(line)) {
    if (bad) return refuse(400, bad);
    return buf.size() > limits.max_header ? refuse(414, "request line too long") : RequestFrame{};
  }
  if (bad) return refuse(400, bad);
  if (pos > limits.max_header) return refuse(414, "request line too long");
  {
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == npos ? npos : line.find(' ', sp1 + 1);
    if (sp2 == npos) return refuse(400, "malformed request line (METHOD /path HTTP/1.1)");
    req.method = line.substr(0, sp1);
    req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!is_token(req.method) || req.method.size() > 16) return refuse(400, "malformed request method");
    if (req.target.empty() || req.target.front() != '/') return refuse(400, "request target must be a path starting with /");
    for (char ch : req.target) {
      const auto c = static_cast<unsigned char>(ch);
      if (c <= 0x20 || c >= 0x7f) return refuse(400, "request target holds a space or control character");
    }
    if (version != "HTTP/1.1") {
      if (version.size() == 8 && version.substr(0, 5) == "HTTP/") return refuse(505, "only HTTP/1.1 is served");
      return refuse(400, "malformed HTTP version in the request line");
    }
    req.path = req.target.substr(0, req.target.find('?'));
  }

  std::string_view content_length, expect;
  bool have_length = false, have_te = false, have_ce = false, have_expect = false, have_host = false,
       have_type = false;
  for (int lines = 0;; ++lines) {
    if (!next_line(line)) {
      if (bad) return refuse(400, bad);
      return buf.size() > limits.max_header ? refuse(431, "header block too large") : RequestFrame{};
    }
    if (bad) return refuse(400, bad);
    if (pos > limits.max_header) return refuse(431, "header block too large");
    if (line.empty()) break;
    if (lines >= kMaxHeaderLines) return refuse(431, "too many header lines");
    if (line.front() == ' ' || line.front() == '\t') return refuse(400, "obsolete line folding in a header");
    const std::size_t colon = line.find(':');
    if (colon == npos) return refuse(400, "a header line without a colon");
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return refuse(400, "malformed header name");
    const std::string_view value = trim(line.substr(colon + 1));
    if (!is_field_value(value)) return refuse(400, "a control character in a header value");
    if (iequals(name, "Content-Length")) {
      if (have_length) return refuse(400, "more than one Content-Length");
      have_length = true;
      content_length = value;
    } else if (iequals(name, "Transfer-Encoding")) {
      have_te = true;
    } else if (iequals(name, "Content-Encoding")) {
      have_ce = true;
    } else if (iequals(name, "Expect")) {
      if (have_expect) return refuse(417, "more than one Expect");
      have_expect = true;
      expect = value;
    } else if (iequals(name, "Host")) {
      if (have_host) return refuse(400, "more than one Host");
      have_host = true;
    } else if (iequals(name, "Content-Type")) {
      if (have_type) return refuse(400, "more than one Content-Type");
      have_type = true;
      req.content_type = value;
    } else if (iequals(name, "Connection")) {
      if (list_has(value, "close")) req.close = true;
    }
  }
  const std::size_t headers_end = pos;
  if (!have_host) return refuse(400, "no Host header (required in HTTP/1.1)");
  if (have_te) {
    return have_length ? refuse(400, "Transfer-Encoding beside Content-Length")
                       : refuse(411, "Transfer-Encoding (chunked) is not accepted: send Content-Length");
  }
  if (have_ce) return refuse(415, "Content-Encoding is not accepted: send the body uncompressed");
  if (have_expect && !iequals(expect, "100-continue")) return refuse(417, "only Expect: 100-continue is supported");
  std::uint64_t n = 0;
  if (have_length && !parse_length(content_length, n)) return refuse(400, "Content-Length is not a decimal number");
  if (req.method == "POST") {
    if (!have_length) return refuse(411, "a POST needs a Content-Length");
  } else if (n != 0) {
    return refuse(400, "a request body is accepted on POST only");
  }
  if (n > limits.max_body) return refuse(413, "request body larger than the limit");
  const std::size_t need = headers_end + static_cast<std::size_t>(n);
  if (buf.size() < need) {
    RequestFrame f;
    f.need = need;
    f.expect_continue = have_expect;
    return f;
  }
  req.body = buf.substr(headers_end, static_cast<std::size_t>(n));
  RequestFrame f;
  f.kind = RequestFrame::kComplete;
  f.length = need;
  f.request = req;
  return f;
}

RequestFrame RequestScanner::next(std::string_view buf, const FrameLimits& limits) {
  if (need_ != 0) {
    if (buf.size() < need_) {
      RequestFrame f;
      f.need = need_;
      f.expect_continue = expect_continue_;
      return f;
    }
    return frame_request(buf, limits);
  }
  // Look only at the new bytes (and the 3 before them) for the block's end or a bare LF/CR.
  const std::size_t at = decision_point(buf, scanned_ > 3 ? scanned_ - 3 : 0);
  scanned_ = buf.size();
  if (at == npos && buf.size() <= limits.max_header) return {};
  RequestFrame f = frame_request(buf, limits);
  if (f.kind == RequestFrame::kIncomplete) {
    need_ = f.need;
    expect_continue_ = f.expect_continue;
  }
  return f;
}

std::string_view status_text(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

}  // namespace gopreflight::webhook::server
