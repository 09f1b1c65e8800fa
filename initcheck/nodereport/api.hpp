#pragma once
/// The in-cluster Kubernetes API client of node-report: HTTPS to KUBERNETES_SERVICE_HOST:PORT
/// with the cluster CA and the service-account token, one request per connection
/// (Connection: close), over the probes' deadline-bounded Conn (plain sockets + OpenSSL) and
/// their HTTP/1.1 response parser, so gopreflight-check stays statically linkable.
///
/// Bodies are read up to the parser's cap (64 KiB); a longer one is returned with `truncated`
/// set, never parsed as if whole.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "gopreflight/initcheck/result.hpp"

namespace gopreflight::initcheck::nodereport {

/// The service-account token file, re-read whenever it changes (kubelet rotates projected tokens
/// by swapping a symlink: the inode, size or mtime changes), and on demand after a 401.
class TokenSource {
 public:
  explicit TokenSource(std::string path) : path_(std::move(path)) {}
  /// The current token (whitespace around it trimmed). Errors name the file and the cause.
  Result<std::string> get();
  /// Forgets the cached token so the next get() reads the file again.
  void invalidate() { have_ = false; }
  /// How many times the file was actually read (for tests and figures).
  int reads() const { return reads_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool have_ = false;
  std::string token_;
  std::uint64_t ino_ = 0, size_ = 0;
  std::int64_t mtime_ns_ = 0;
  int reads_ = 0;
};

/// Where the apiserver is and how to trust and authenticate to it.
struct ApiConfig {
  std::string host;  ///< KUBERNETES_SERVICE_HOST: an IP or a DNS name (certificate checked against it)
  std::uint16_t port = 443;
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::chrono::milliseconds timeout{10000};  ///< per request: connect, TLS, write, read
};

/// Parses KUBERNETES_SERVICE_PORT-style text ("443"): 1..65535.
Result<std::uint16_t> parse_port(std::string_view text);

struct ApiResponse {
  int status = 0;
  std::string body;
  bool truncated = false;
};

/// The request bytes (pure; tested on strings). `host` is bracketed when it is IPv6.
std::string api_request_text(std::string_view method, std::string_view path, std::string_view host,
                             std::uint16_t port, std::string_view token, std::string_view content_type,
                             std::string_view body);

class ApiClient {
 public:
  explicit ApiClient(ApiConfig cfg) : cfg_(std::move(cfg)), token_(cfg_.token_file) {}
  /// One request. An Error is a transport failure (connect, TLS, timeout, bad HTTP) or an
  /// unreadable token, naming the request and the cause; any HTTP status is a response. A 401
  /// makes the next request re-read the token.
  Result<ApiResponse> request(std::string_view method, std::string_view path,
                              std::string_view content_type = {}, std::string_view body = {});
  /// Requests sent so far (figures: requests per cycle).
  int requests() const { return requests_; }
  TokenSource& token() { return token_; }
  const ApiConfig& config() const { return cfg_; }

 private:
  ApiConfig cfg_;
  TokenSource token_;
  int requests_ = 0;
};

/// "403 Forbidden: nodes \"n1\" is forbidden: User ... cannot patch ..." for a non-2xx
/// response, with a hint for 401 (token) and 403 (RBAC).
std::string describe_failure(std::string_view what, const ApiResponse& r);

/// Exponential backoff without jitter: initial, initial*factor, ... capped at `max`.
struct Backoff {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30000};
  double factor = 2.0;
  /// Delay before retry number `attempt` (0 = the first retry).
  std::chrono::milliseconds delay(int attempt) const;
};

/// Whether a response status is worth retrying: 429, 5xx, 409 (conflict: re-read first).
/// 4xx such as 401/403/404/422 will not get better by retrying within one cycle.
bool retryable(int status);

}  // namespace gopreflight::initcheck::nodereport
