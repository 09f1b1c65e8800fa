// node-report's apiserver client over the probes' Conn and HTTP parser (see api.hpp).
#include "nodereport/api.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "gopreflight/initcheck/probe.hpp"
#include "nodereport/condition.hpp"
#include "probes/net.hpp"

namespace gopreflight::initcheck::nodereport {

namespace {

bool is_ip_literal(const std::string& host) {
  in_addr a4{};
  in6_addr a6{};
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

std::string trim_ws(std::string s) {
  const char* ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

Result<std::string> TokenSource::get() {
  struct stat st{};
  if (::stat(path_.c_str(), &st) != 0) {
    return fail("service-account token " + path_ + ": " + std::strerror(errno));
  }
  const std::int64_t mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (have_ && st.st_ino == ino_ && static_cast<std::uint64_t>(st.st_size) == size_ && mtime_ns == mtime_ns_) {
    return token_;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) return fail("service-account token " + path_ + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  ++reads_;
  std::string tok = trim_ws(ss.str());
  if (tok.empty()) return fail("service-account token " + path_ + ": the file is empty");
  if (tok.size() > 16 * 1024) return fail("service-account token " + path_ + ": larger than 16 KiB");
  for (char c : tok) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return fail("service-account token " + path_ + ": contains a space or control byte (not a bearer token)");
    }
  }
  token_ = std::move(tok);
  ino_ = st.st_ino;
  size_ = static_cast<std::uint64_t>(st.st_size);
  mtime_ns_ = mtime_ns;
  have_ = true;
  return token_;
}

Result<std::uint16_t> parse_port(std::string_view text) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || v == 0 || v > 65535) {
    return fail("port \"" + std::string(text) + "\" is not a number from 1 to 65535");
  }
  return static_cast<std::uint16_t>(v);
}

std::string api_request_text(std::string_view method, std::string_view path, std::string_view host,
                             std::uint16_t port, std::string_view token, std::string_view content_type,
                             std::string_view body) {
  std::string h = std::string(host).find(':') != std::string::npos ? "[" + std::string(host) + "]" : std::string(host);
  std::string req;
  req.reserve(256 + token.size() + body.size());
  req.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ").append(h);
  if (port != 443) req.append(":").append(std::to_string(port));
  req.append("\r\nAuthorization: Bearer ").append(token);
  req.append("\r\nUser-Agent: gopreflight-check/node-report\r\nAccept: application/json\r\n");
  if (!content_type.empty() || !body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    if (!content_type.empty()) req.append("Content-Type: ").append(content_type).append("\r\n");
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("Connection: close\r\n\r\n").append(body);
  return req;
}

Result<ApiResponse> ApiClient::request(std::string_view method, std::string_view path,
                                       std::string_view content_type, std::string_view body) {
  const std::string what = std::string(method) + " " + std::string(path);
  auto tok = token_.get();
  if (!tok) return fail(what + ": " + tok.error());
  ++requests_;
  probe_detail::Conn c(probe_detail::Conn::Clock::now() + cfg_.timeout);
  if (!c.connect(cfg_.host, cfg_.port)) return fail(what + ": " + c.error());
  probe_detail::TlsOptions tls;
  tls.ca_file = cfg_.ca_file;
  tls.host_is_ip = is_ip_literal(cfg_.host);
  if (!c.start_tls(cfg_.host, tls)) return fail(what + ": " + c.error());
  if (!c.write_all(api_request_text(method, path, cfg_.host, cfg_.port, *tok, content_type, body))) {
    return fail(what + ": " + c.error());
  }
  // Room for the capped header and body plus chunked framing; the parser reports truncation.
  constexpr std::size_t kMaxRead = probe_detail::kMaxHttpHeader + probe_detail::kMaxHttpBody + 16 * 1024;
  std::string buf;
  for (;;) {
    bool eof = false;
    if (buf.size() >= kMaxRead) return fail(what + ": reply larger than " + std::to_string(kMaxRead) + " bytes");
    if (!c.read_some(buf, kMaxRead - buf.size(), eof)) return fail(what + ": " + c.error());
    auto parsed = probe_detail::parse_http_response(buf, eof);
    if (!parsed) return fail(what + ": " + parsed.error());
    if (parsed->has_value()) {
      ApiResponse r;
      r.status = (*parsed)->status;
      r.body = std::move((*parsed)->body);
      r.truncated = (*parsed)->truncated;
      if (r.status == 401) token_.invalidate();
      return r;
    }
    if (eof) return fail(what + ": connection closed before a complete reply");
  }
}

std::string describe_failure(std::string_view what, const ApiResponse& r) {
  std::string s = std::string(what) + ": HTTP " + std::to_string(r.status) + ": " + api_status_message(r.body);
  if (r.status == 401) {
    s += " (the service-account token was refused: expired, revoked, or for another cluster)";
  } else if (r.status == 403) {
    s += " (RBAC: the reporter's ServiceAccount lacks this permission; see docs/node-report.md)";
  }
  return s;
}

std::chrono::milliseconds Backoff::delay(int attempt) const {
  double ms = static_cast<double>(initial.count()) * std::pow(factor, attempt < 0 ? 0 : attempt);
  if (ms > static_cast<double>(max.count()) || !std::isfinite(ms)) return max;
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

bool retryable(int status) { return status == 409 || status == 429 || status >= 500; }

}  // namespace gopreflight::initcheck::nodereport
