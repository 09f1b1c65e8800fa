// The per-decision JSON log line (see decision_log.hpp).
#include "decision_log.hpp"

#include <charconv>
#include <cmath>

namespace gopreflight::webhook::server {
namespace {

/// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF), or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  append_json_string(out, value);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    // Runs of plain printable ASCII are copied in one go.
    std::size_t j = i;
    while (j < s.size()) {
      const auto c = static_cast<unsigned char>(s[j]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++j;
    }
    out.append(s, i, j - i);
    i = j;
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s, i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
    ++i;
  }
  out += '"';
}

std::string decision_line(std::string_view msg, const DecisionFields& f) {
  std::string out;
  out.reserve(320 + f.uid.size() + f.name.size() + f.user.size() + f.error.size());
  out += "\"msg\":";
  append_json_string(out, msg);
  field(out, "decision", f.decision);
  field(out, "endpoint", f.endpoint);
  if (!f.error.empty()) field(out, "error", f.error);
  field(out, "kind", f.kind);
  out += ",\"latency_ms\":";
  char buf[32];
  const double ms = std::isfinite(f.latency_ms) && f.latency_ms >= 0 ? f.latency_ms : 0.0;
  const auto r = std::to_chars(buf, buf + sizeof buf, ms, std::chars_format::fixed, 3);
  out.append(buf, r.ptr);
  field(out, "name", f.name);
  field(out, "namespace", f.ns);
  field(out, "operation", f.operation);
  field(out, "remote", f.remote);
  out += ",\"rules\":[";
  if (f.rules) {
    bool first = true;
    for (const auto& rule : *f.rules) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, rule);
    }
  }
  out += ']';
  field(out, "uid", f.uid);
  field(out, "user", f.user);
  return out;
}

}  // namespace gopreflight::webhook::server
