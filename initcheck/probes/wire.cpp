// Pure parsers for what the probes read back: a RESP reply line, PostgreSQL's SSLRequest answer,
// an HTTP/1.x response (framing and caps), and etcd's /health JSON. No I/O here.
#include <charconv>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "gopreflight/initcheck/probe.hpp"
#include "probes/wire_text.hpp"

namespace gopreflight::initcheck::probe_detail {

std::string printable(std::string_view bytes, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    if (b == '\r') {
      out += "\\r";
    } else if (b == '\n') {
      out += "\\n";
    } else if (b < 0x20 || b >= 0x7f || b == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", b);
      out += buf;
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
  if (bytes.size() > max) out += "...";
  return out;
}

std::string describe_byte(char c) {
  auto b = static_cast<unsigned char>(c);
  char buf[32];
  if (b >= 0x20 && b < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c' (0x%02x)", c, b);
  } else {
    std::snprintf(buf, sizeof buf, "0x%02x", b);
  }
  return buf;
}

Result<std::optional<RespReply>> parse_resp_reply(std::string_view bytes) {
  constexpr std::size_t kMaxLine = 512;
  if (bytes.empty()) return std::optional<RespReply>{};
  char kind = bytes.front();
  if (kind != '+' && kind != '-' && kind != ':' && kind != '$' && kind != '*') {
    return fail("not a RESP (Redis) reply: first byte " + describe_byte(kind) + ", received '" +
                printable(bytes, 40) + "'");
  }
  auto end = bytes.find("\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() > kMaxLine) return fail("RESP reply line longer than 512 bytes without CRLF");
    return std::optional<RespReply>{};
  }
  if (end > kMaxLine) return fail("RESP reply line longer than 512 bytes");
  return std::optional<RespReply>{RespReply{kind, std::string(bytes.substr(1, end - 1))}};
}

Result<std::optional<char>> parse_pg_ssl_reply(std::string_view bytes) {
  if (bytes.empty()) return std::optional<char>{};
  char c = bytes.front();
  if (c == 'E') {
    return fail("the server answered the SSLRequest with an ErrorResponse ('E'): '" + printable(bytes, 60) + "'");
  }
  if (c != 'S' && c != 'N') {
    return fail("not a PostgreSQL answer to SSLRequest: first byte " + describe_byte(c) + ", received '" +
                printable(bytes, 40) + "'");
  }
  if (bytes.size() > 1) {
    // PostgreSQL answers with exactly one byte and then waits; a banner such as "SSH-2.0-..." is
    // another service on this port.
    return fail("not a PostgreSQL answer to SSLRequest: " + std::to_string(bytes.size()) +
                " bytes instead of one, received '" + printable(bytes, 40) + "'");
  }
  return std::optional<char>{c};
}

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// The next line from `pos` (without CRLF / LF); nullopt when no line end has arrived yet.
std::optional<std::string_view> next_line(std::string_view bytes, std::size_t& pos) {
  auto nl = bytes.find('\n', pos);
  if (nl == std::string_view::npos) return std::nullopt;
  std::string_view line = bytes.substr(pos, nl - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = nl + 1;
  return line;
}

using HttpParse = Result<std::optional<HttpResponse>>;

HttpParse need_more() { return std::optional<HttpResponse>{}; }
HttpParse done(HttpResponse r) { return std::optional<HttpResponse>{std::move(r)}; }

/// Parses chunked framing from `pos`; fills r.body (capped).
HttpParse parse_chunked(std::string_view bytes, std::size_t pos, bool eof, HttpResponse r) {
  for (;;) {
    std::size_t line_start = pos;
    auto line = next_line(bytes, pos);
    if (!line) {
      if (bytes.size() - line_start > 1024) return fail("HTTP chunk-size line longer than 1024 bytes");
      if (eof) return fail("HTTP connection closed inside a chunked body (no chunk-size line)");
      return need_more();
    }
    std::string_view size_text = line->substr(0, line->find(';'));
    size_text = trim(size_text);
    unsigned long long size = 0;
    auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (size_text.empty() || size_text.size() > 8 || ec != std::errc{} ||
        ptr != size_text.data() + size_text.size()) {
      return fail("HTTP chunked body: bad chunk size '" + printable(*line, 40) + "'");
    }
    if (size == 0) {
      // Trailer section: header lines up to an empty line.
      std::size_t trailer_start = pos;
      for (;;) {
        auto t = next_line(bytes, pos);
        if (!t) {
          if (bytes.size() - trailer_start > kMaxHttpHeader) return fail("HTTP trailer section larger than 16 KiB");
          if (eof) return fail("HTTP connection closed inside the chunked trailer");
          return need_more();
        }
        if (t->empty()) return done(std::move(r));
      }
    }
    const auto n = static_cast<std::size_t>(size);
    std::size_t available = bytes.size() - pos;
    std::size_t room = kMaxHttpBody - r.body.size();
    if (available >= room && n > room) {
      r.body.append(bytes.substr(pos, room));
      r.truncated = true;
      return done(std::move(r));
    }
    if (available < n + 1) {
      if (eof) return fail("HTTP connection closed inside a chunk (" + std::to_string(available) + " of " +
                           std::to_string(n) + " bytes)");
      return need_more();
    }
    r.body.append(bytes.substr(pos, n));
    pos += n;
    if (bytes[pos] == '\n') {
      pos += 1;
    } else if (bytes[pos] == '\r') {
      if (bytes.size() - pos < 2) return eof ? HttpParse(fail("HTTP connection closed after a chunk")) : need_more();
      if (bytes[pos + 1] != '\n') return fail("HTTP chunked body: chunk data not followed by CRLF");
      pos += 2;
    } else {
      return fail("HTTP chunked body: chunk data not followed by CRLF");
    }
  }
}

}  // namespace

Result<std::optional<HttpResponse>> parse_http_response(std::string_view bytes, bool eof) {
  std::size_t pos = 0;
  for (;;) {  // once per response head; 1xx interim responses are skipped
    const std::size_t head_start = pos;
    std::string_view prefix = bytes.substr(pos, 5);
    if (std::string_view("HTTP/").substr(0, prefix.size()) != prefix) {
      return fail("not an HTTP response: received '" + printable(bytes.substr(pos), 40) + "'");
    }
    HttpResponse r;
    auto status_line = next_line(bytes, pos);
    if (!status_line) {
      if (bytes.size() - head_start > kMaxHttpHeader) return fail("HTTP status line longer than 16 KiB");
      if (eof) {
        return fail(bytes.size() == head_start ? std::string("connection closed without an HTTP response")
                                               : "connection closed inside the HTTP status line");
      }
      return need_more();
    }
    // HTTP/1.x SP 3DIGIT [SP reason]
    std::string_view sl = *status_line;
    if (sl.size() < 12 || sl.substr(0, 7) != "HTTP/1." || sl[7] < '0' || sl[7] > '9' || sl[8] != ' ' ||
        sl[9] < '1' || sl[9] > '5' || sl[10] < '0' || sl[10] > '9' || sl[11] < '0' || sl[11] > '9' ||
        (sl.size() > 12 && sl[12] != ' ')) {
      return fail("bad HTTP status line '" + printable(sl, 60) + "'");
    }
    r.status = (sl[9] - '0') * 100 + (sl[10] - '0') * 10 + (sl[11] - '0');
    r.reason = sl.size() > 13 ? std::string(sl.substr(13)) : std::string();
    bool headers_done = false;
    while (!headers_done) {
      auto line = next_line(bytes, pos);
      if (pos - head_start > kMaxHttpHeader || (!line && bytes.size() - head_start > kMaxHttpHeader)) {
        return fail("HTTP response header larger than 16 KiB");
      }
      if (!line) {
        if (eof) return fail("connection closed inside the HTTP response header");
        return need_more();
      }
      if (line->empty()) {
        headers_done = true;
        break;
      }
      if (line->front() == ' ' || line->front() == '\t') {
        return fail("HTTP header uses obsolete line folding: '" + printable(*line, 60) + "'");
      }
      auto colon = line->find(':');
      if (colon == std::string_view::npos || colon == 0) {
        return fail("bad HTTP header line '" + printable(*line, 60) + "'");
      }
      std::string_view name = line->substr(0, colon);
      for (char c : name) {
        if (!is_token_char(c)) return fail("bad HTTP header name '" + printable(name, 60) + "'");
      }
      if (r.headers.size() >= 200) return fail("more than 200 HTTP response headers");
      r.headers.emplace_back(lowered(name), std::string(trim(line->substr(colon + 1))));
    }
    if (r.status >= 100 && r.status < 200 && r.status != 101) continue;  // interim: next head follows

    if (r.status == 204 || r.status == 304 || r.status == 101) return done(std::move(r));
    std::optional<std::string> transfer_encoding;
    std::optional<unsigned long long> content_length;
    for (const auto& [name, value] : r.headers) {
      if (name == "transfer-encoding") {
        transfer_encoding = transfer_encoding ? *transfer_encoding + "," + value : value;
      } else if (name == "content-length") {
        unsigned long long n = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (value.empty() || value.size() > 18 || ec != std::errc{} || ptr != value.data() + value.size()) {
          return fail("bad HTTP Content-Length '" + printable(value, 40) + "'");
        }
        if (content_length && *content_length != n) return fail("conflicting HTTP Content-Length headers");
        content_length = n;
      }
    }
    if (transfer_encoding) {
      std::string te = lowered(trim(*transfer_encoding));
      auto last_comma = te.rfind(',');
      std::string_view last = trim(last_comma == std::string::npos ? std::string_view(te)
                                                                   : std::string_view(te).substr(last_comma + 1));
      if (last == "chunked") return parse_chunked(bytes, pos, eof, std::move(r));
      content_length.reset();  // RFC 9112 6.3: Transfer-Encoding wins; not chunked = read to close
    }
    std::size_t available = bytes.size() - pos;
    if (content_length) {
      if (*content_length > kMaxHttpBody && available >= kMaxHttpBody) {
        r.body.assign(bytes.substr(pos, kMaxHttpBody));
        r.truncated = true;
        return done(std::move(r));
      }
      const auto n = static_cast<std::size_t>(*content_length);
      if (available >= n) {
        r.body.assign(bytes.substr(pos, n));
        return done(std::move(r));
      }
      if (eof) {
        return fail("connection closed after " + std::to_string(available) + " of " + std::to_string(n) +
                    " HTTP body bytes");
      }
      return need_more();
    }
    if (available > kMaxHttpBody) {
      r.body.assign(bytes.substr(pos, kMaxHttpBody));
      r.truncated = true;
      return done(std::move(r));
    }
    if (!eof) return need_more();
    r.body.assign(bytes.substr(pos));
    return done(std::move(r));
  }
}

std::string http_request(const ProbeUrl& u) {
  std::string host = u.ipv6 ? "[" + u.host + "]" : u.host;
  const bool default_port = (u.tls && u.port == 443) || (!u.tls && u.port == 80);
  if (!default_port) host += ":" + std::to_string(u.port);
  return "GET " + (u.path.empty() ? std::string("/") : u.path) + " HTTP/1.1\r\nHost: " + host +
         "\r\nUser-Agent: gopreflight-check\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

Result<EtcdHealth> parse_etcd_health(std::string_view body) {
  // etcd's answer is a flat object; refuse deep nesting before handing bytes to a JSON parser.
  if (body.size() > kMaxHttpBody) return fail("etcd /health body larger than 64 KiB");
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > 16) return fail("etcd /health body nests deeper than 16 levels");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail("etcd /health body is not a JSON object: '" + printable(body, 80) + "'");
  }
  auto it = j.find("health");
  if (it == j.end()) return fail("etcd /health body has no \"health\" field: '" + printable(body, 80) + "'");
  EtcdHealth h;
  if (it->is_string() && (*it == "true" || *it == "false")) {
    h.healthy = *it == "true";
  } else if (it->is_boolean()) {
    h.healthy = it->get<bool>();
  } else {
    return fail("etcd /health \"health\" is " + it->dump() + ", expected \"true\" or \"false\"");
  }
  if (auto r = j.find("reason"); r != j.end() && r->is_string()) h.reason = r->get<std::string>();
  return h;
}

}  // namespace gopreflight::initcheck::probe_detail
