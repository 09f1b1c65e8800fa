#pragma once
/// Dependency probes (`probe.<name>`): tcp://, redis://, postgres://, etcd+http(s)://, http(s)://.
/// Implemented with plain sockets and OpenSSL (no cpp-httplib) so the binary can be static.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck {

struct ProbeSpec {
  std::string name;  ///< result id is "probe." + name
  std::string url;   ///< tcp://h:p, redis://h:p, postgres://h:p, etcd://h:p | etcd+https://h:p, http(s)://...
  std::chrono::milliseconds timeout{2000};  ///< per attempt
  bool tls_insecure = false;  ///< https: skip certificate verification (off by default)
  std::string ca_file;        ///< https: extra CA bundle to trust
};

/// Parses "name=url" or "name@timeout=url" (flag/env form), e.g. "db@5s=postgres://db:5432".
/// name: [a-z0-9_-]+ (1..63 chars); timeout: "<n>ms" | "<n>s" | "<n>m". Errors name the bad part.
Result<ProbeSpec> parse_probe_arg(std::string_view arg);

/// Checks a spec built elsewhere (the config file's `probes:`): name, URL and timeout bounds.
/// Returns the spec unchanged when it is valid.
Result<ProbeSpec> validate_probe(ProbeSpec spec);

/// Parses a probe timeout: "250ms", "2s", "1m" (1 ms .. 10 min).
Result<std::chrono::milliseconds> parse_probe_timeout(std::string_view text);

/// One attempt; never throws. pass on a correct answer, fail with the reason otherwise.
CheckResult run_probe_once(const ProbeSpec& spec);

/// Retries every probe that has not passed until all pass or `deadline` elapses (init containers
/// wait for dependencies), calling `progress` with a human line after each round.
std::vector<CheckResult> run_probes(const std::vector<ProbeSpec>& specs,
                                    std::chrono::milliseconds deadline,
                                    std::chrono::milliseconds interval,
                                    const std::function<void(const std::string&)>& progress);

/// Wire-level pieces of the probes, pure functions over bytes (tested on literal strings).
namespace probe_detail {

enum class Scheme { tcp, redis, rediss, postgres, etcd, etcd_https, http, https };

/// A parsed probe URL. `host` has no brackets; `path` includes the query ("/" when empty).
struct ProbeUrl {
  Scheme scheme = Scheme::tcp;
  std::string host;
  std::uint16_t port = 0;
  std::string path;
  bool tls = false;        ///< rediss, etcd+https, https
  bool host_is_ip = false; ///< IPv4 or IPv6 literal (no SNI; certificate checked against the IP)
  bool ipv6 = false;
};

/// Parses tcp://h:p, redis://h[:p], rediss://h[:p], postgres(ql)://h[:p][/db], etcd[+http|+https]://h[:p][/path],
/// http(s)://h[:p][/path]. Hosts: names, IPv4, [IPv6]. Default ports: redis 6379, postgres 5432,
/// etcd 2379, http 80, https 443; tcp needs one. Rejects credentials, control bytes and spaces.
Result<ProbeUrl> parse_probe_url(std::string_view url);

/// "host:port" with brackets around IPv6 literals.
std::string host_port(const ProbeUrl& u);

/// The first line of a RESP reply: kind is the type byte ('+', '-', ':', '$', '*'), text the rest.
struct RespReply {
  char kind = 0;
  std::string text;
};
/// nullopt: more bytes needed. Error: not RESP (names the first byte) or the line is over 512 bytes.
Result<std::optional<RespReply>> parse_resp_reply(std::string_view bytes);

/// The answer to PostgreSQL's SSLRequest: 'S' (TLS offered) or 'N' (not offered).
/// nullopt: no byte yet. Error: anything else, naming the byte ('E' = ErrorResponse from the server).
Result<std::optional<char>> parse_pg_ssl_reply(std::string_view bytes);

/// A parsed HTTP/1.x response. Body is capped at `kMaxHttpBody`; `truncated` says it was longer.
struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;
  bool truncated = false;
};
inline constexpr std::size_t kMaxHttpHeader = 16 * 1024;
inline constexpr std::size_t kMaxHttpBody = 64 * 1024;

/// Parses a response received so far. `eof`: the peer closed the connection. nullopt: more bytes
/// needed. Handles 1xx interim responses, Content-Length, chunked, read-to-EOF; caps header and body.
Result<std::optional<HttpResponse>> parse_http_response(std::string_view bytes, bool eof);

/// The GET request the probes send (Connection: close, Host with the port when not the default).
std::string http_request(const ProbeUrl& u);

/// etcd's /health body: {"health":"true"|"false","reason":"..."}. Returns the "reason" (may be
/// empty) when healthy is false; Error when the body is not that JSON.
struct EtcdHealth {
  bool healthy = false;
  std::string reason;
};
Result<EtcdHealth> parse_etcd_health(std::string_view body);

}  // namespace probe_detail

}  // namespace gopreflight::initcheck
