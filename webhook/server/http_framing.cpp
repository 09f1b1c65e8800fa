// Request framing for the event loop (see http_framing.hpp).
#include "http_framing.hpp"

#include <cstdint>
#include <limits>

namespace gopreflight::webhook::server {
namespace {

constexpr std::size_t npos = std::string_view::npos;

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

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

RequestFrame close_at(std::size_t n) { return {RequestFrame::kClose, n, false}; }

/// The chunked body starting at `pos`: where the request ends, or incomplete / close.
RequestFrame frame_chunked(std::string_view buf, std::size_t pos, std::size_t max_body) {
  std::uint64_t body = 0;
  for (;;) {
    const std::size_t eol = buf.find('\n', pos);
    if (eol == npos) {
      // A chunk-size line has at most 16 hex digits plus extensions; a longer one is garbage.
      return buf.size() - pos > 4096 ? close_at(buf.size()) : RequestFrame{};
    }
    std::uint64_t size = 0;
    std::size_t i = pos, digits = 0;
    for (; i < eol; ++i, ++digits) {
      const int h = hex_value(buf[i]);
      if (h < 0) break;
      if (size > (std::numeric_limits<std::uint64_t>::max() >> 4)) return close_at(buf.size());
      size = (size << 4) | static_cast<std::uint64_t>(h);
    }
    if (digits == 0) return close_at(buf.size());
    pos = eol + 1;
    if (size == 0) {
      // httplib reads exactly one more line, which must be the empty one.
      const std::size_t end = buf.find('\n', pos);
      if (end == npos) return buf.size() - pos > 4096 ? close_at(buf.size()) : RequestFrame{};
      const std::string_view last = buf.substr(pos, end + 1 - pos);
      if (last != "\r\n") return close_at(end + 1);
      return {RequestFrame::kComplete, end + 1, false};
    }
    body += size;
    if (body > max_body) return close_at(buf.size());
    // The chunk's data, then CRLF.
    if (buf.size() - pos < size + 2) return {};
    pos += static_cast<std::size_t>(size);
    if (buf.substr(pos, 2) != "\r\n") return close_at(pos);
    pos += 2;
  }
}

}  // namespace

RequestFrame frame_request(std::string_view buf, std::size_t max_header, std::size_t max_body) {
  // Request line: whatever the first line is (httplib rejects a bad one with 400).
  std::size_t pos = buf.find('\n');
  if (pos == npos) return buf.size() > max_header ? close_at(buf.size()) : RequestFrame{};
  ++pos;
  std::string_view content_length, transfer_encoding, expect;
  bool have_length = false, have_te = false, have_expect = false;
  for (;;) {
    const std::size_t eol = buf.find('\n', pos);
    if (eol == npos) return buf.size() > max_header ? close_at(buf.size()) : RequestFrame{};
    if (eol + 1 > max_header) return close_at(eol + 1);
    std::string_view line = buf.substr(pos, eol - pos);
    pos = eol + 1;
    // httplib skips header lines that do not end in CRLF, and ends the block at "\r\n".
    if (line.empty() || line.back() != '\r') continue;
    line.remove_suffix(1);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (!have_length && iequals(name, "Content-Length")) {
      content_length = value;
      have_length = true;
    } else if (!have_te && iequals(name, "Transfer-Encoding")) {
      transfer_encoding = value;
      have_te = true;
    } else if (!have_expect && iequals(name, "Expect")) {
      expect = value;
      have_expect = true;
    }
  }
  const std::size_t headers_end = pos;
  const bool wants_continue = have_expect && expect == "100-continue";
  if (have_te) {
    if (!iequals(transfer_encoding, "chunked")) return close_at(headers_end);
    RequestFrame f = frame_chunked(buf, headers_end, max_body);
    if (f.kind == RequestFrame::kIncomplete) f.expect_continue = wants_continue;
    return f;
  }
  if (!have_length) return {RequestFrame::kComplete, headers_end, false};
  std::uint64_t n = 0;
  if (!parse_length(content_length, n)) return close_at(headers_end);
  if (n > max_body) return close_at(headers_end);
  if (buf.size() - headers_end < n) return {RequestFrame::kIncomplete, 0, wants_continue};
  return {RequestFrame::kComplete, headers_end + static_cast<std::size_t>(n), false};
}

std::optional<SimplePost> parse_simple_post(std::string_view req) {
  constexpr std::string_view kPost = "POST ";
  constexpr std::string_view kVersion = " HTTP/1.1\r\n";
  if (req.substr(0, kPost.size()) != kPost) return std::nullopt;
  const std::size_t line_end = req.find('\n');
  if (line_end == npos || line_end < kPost.size() + kVersion.size() - 1) return std::nullopt;
  const std::size_t version_at = line_end + 1 - kVersion.size();
  if (req.substr(version_at, kVersion.size()) != kVersion) return std::nullopt;
  SimplePost out;
  out.path = req.substr(kPost.size(), version_at - kPost.size());
  if (out.path.empty() || out.path.front() != '/') return std::nullopt;
  for (char c : out.path) {
    if (c <= ' ' || c == '?' || c == '%' || c == '#' || c == 0x7f) return std::nullopt;
  }
  std::size_t pos = line_end + 1;
  bool have_length = false, have_type = false, have_connection = false;
  std::uint64_t length = 0;
  for (int lines = 0;; ++lines) {
    if (lines > 64) return std::nullopt;
    const std::size_t eol = req.find('\n', pos);
    if (eol == npos || eol == pos || req[eol - 1] != '\r') return std::nullopt;
    const std::string_view line = req.substr(pos, eol - 1 - pos);
    pos = eol + 1;
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == npos || colon == 0) return std::nullopt;
    const std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (c <= ' ' || c == 0x7f) return std::nullopt;  // "Name :" and the like: httplib's call
    }
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      if (have_length || !parse_length(value, length)) return std::nullopt;
      have_length = true;
    } else if (iequals(name, "Content-Type")) {
      if (have_type) return std::nullopt;
      out.content_type = value;
      have_type = true;
    } else if (iequals(name, "Connection")) {
      if (have_connection) return std::nullopt;
      have_connection = true;
      if (iequals(value, "close")) {
        out.close = true;
      } else if (!iequals(value, "keep-alive")) {
        return std::nullopt;
      }
    } else if (iequals(name, "Transfer-Encoding") || iequals(name, "Expect")) {
      return std::nullopt;
    }
  }
  if (!have_length || req.size() - pos != length) return std::nullopt;
  out.body = req.substr(pos);
  return out;
}

}  // namespace gopreflight::webhook::server
