// Probe URLs: scheme, host (name, IPv4, [IPv6]), port with per-scheme defaults, path.
#include <arpa/inet.h>

#include <array>
#include <charconv>

#include "gopreflight/initcheck/probe.hpp"

namespace gopreflight::initcheck::probe_detail {

namespace {

struct SchemeInfo {
  std::string_view name;
  Scheme scheme;
  std::uint16_t default_port;  ///< 0: the URL must name a port
  bool tls;
};

constexpr std::array<SchemeInfo, 10> kSchemes{{
    {"tcp", Scheme::tcp, 0, false},
    {"redis", Scheme::redis, 6379, false},
    {"rediss", Scheme::rediss, 6379, true},
    {"postgres", Scheme::postgres, 5432, false},
    {"postgresql", Scheme::postgres, 5432, false},
    {"etcd", Scheme::etcd, 2379, false},
    {"etcd+http", Scheme::etcd, 2379, false},
    {"etcd+https", Scheme::etcd_https, 2379, true},
    {"http", Scheme::http, 80, false},
    {"https", Scheme::https, 443, true},
}};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.' || c == '_';
    if (!ok) return false;
  }
  return h.front() != '.' && h.front() != '-';
}

}  // namespace

Result<ProbeUrl> parse_probe_url(std::string_view url) {
  const std::string quoted = "'" + std::string(url.substr(0, 200)) + (url.size() > 200 ? "...'" : "'");
  if (url.empty()) return fail("probe URL is empty (expected e.g. redis://redis:6379)");
  if (url.size() > 2048) return fail("probe URL is " + std::to_string(url.size()) + " bytes long (at most 2048)");
  for (std::size_t i = 0; i < url.size(); ++i) {
    auto b = static_cast<unsigned char>(url[i]);
    if (b <= 0x20 || b >= 0x7f) {
      return fail("probe URL " + quoted + ": byte " + std::to_string(i) +
                  " is a space, control or non-ASCII character (percent-encode it)");
    }
  }
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return fail("probe URL " + quoted + ": missing scheme (expected scheme://host:port, e.g. tcp://db:5432)");
  }
  std::string scheme_text;
  for (char c : url.substr(0, sep)) scheme_text.push_back(lower(c));
  const SchemeInfo* info = nullptr;
  for (const auto& s : kSchemes) {
    if (s.name == scheme_text) info = &s;
  }
  if (info == nullptr) {
    return fail("probe URL " + quoted + ": unsupported scheme '" + scheme_text +
                "' (use tcp, redis, rediss, postgres, etcd, etcd+https, http or https)");
  }
  ProbeUrl u;
  u.scheme = info->scheme;
  u.tls = info->tls;

  std::string_view rest = url.substr(sep + 3);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  auto auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view path = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return fail("probe URL " + quoted +
                ": credentials ('user:password@') are not used by probes and would be printed in reports; "
                "remove them");
  }
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("probe URL " + quoted + ": '[' without ']' around the IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("probe URL " + quoted + ": unexpected text after ']' (expected :port)");
      port_text = after.substr(1);
      has_port = true;
    }
    std::string h(host);
    in6_addr a6{};
    if (inet_pton(AF_INET6, h.c_str(), &a6) != 1) {
      return fail("probe URL " + quoted + ": '" + h + "' is not a valid IPv6 address");
    }
    u.host_is_ip = true;
    u.ipv6 = true;
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':') != colon) {
        return fail("probe URL " + quoted + ": IPv6 addresses must be written in brackets, e.g. tcp://[::1]:5432");
      }
      host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
      has_port = true;
    } else {
      host = authority;
    }
    if (host.empty()) return fail("probe URL " + quoted + ": missing host");
    if (!valid_hostname(host)) {
      return fail("probe URL " + quoted + ": host '" + std::string(host) +
                  "' is not a valid DNS name or IPv4 address (letters, digits, '-', '.', '_')");
    }
    std::string h(host);
    in_addr a4{};
    u.host_is_ip = inet_pton(AF_INET, h.c_str(), &a4) == 1;
  }
  if (host.empty()) return fail("probe URL " + quoted + ": missing host");
  u.host = std::string(host);

  if (has_port) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return fail("probe URL " + quoted + ": port '" + std::string(port_text) + "' is not a number in 1..65535");
    }
    u.port = static_cast<std::uint16_t>(value);
  } else if (info->default_port == 0) {
    return fail("probe URL " + quoted + ": " + std::string(info->name) + ":// needs a port, e.g. tcp://" +
                u.host + ":5432");
  } else {
    u.port = info->default_port;
  }

  switch (u.scheme) {
    case Scheme::tcp:
      if (!path.empty() && path != "/") {
        return fail("probe URL " + quoted + ": tcp:// takes no path ('" + std::string(path) + "')");
      }
      break;
    case Scheme::redis:
    case Scheme::rediss:
    case Scheme::postgres:
      break;  // a database number / name is allowed and ignored: the probe does not log in
    case Scheme::etcd:
    case Scheme::etcd_https:
      u.path = (path.empty() || path == "/") ? "/health" : std::string(path);
      break;
    case Scheme::http:
    case Scheme::https:
      u.path = path.empty() ? "/" : std::string(path);
      if (u.path.front() == '?') u.path.insert(0, "/");
      break;
  }
  return u;
}

std::string host_port(const ProbeUrl& u) {
  return (u.ipv6 ? "[" + u.host + "]" : u.host) + ":" + std::to_string(u.port);
}

}  // namespace gopreflight::initcheck::probe_detail
