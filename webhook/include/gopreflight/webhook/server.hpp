#pragma once
/// `gopreflight-webhook serve`: the HTTPS admission server around Engine (validate, mutate),
/// with certificate and policy reload, Prometheus metrics, and graceful shutdown.
/// Pieces that can be tested without a socket (option checking, address parsing, certificate
/// loading, metrics text, file fingerprints) are declared here too; the connection handling is
/// internal (webhook/server/event_loop.hpp, http_framing.hpp).
#include <array>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/result.hpp"

namespace gopreflight::webhook::server {

/// Command-line options of `serve` (flag names in comments; see docs/operations.md "Flags").
struct ServeOptions {
  std::string listen = "0.0.0.0:8443";     ///< --listen HOST:PORT ([::]:8443 for IPv6)
  std::string cert_file, key_file;         ///< --tls-cert-file, --tls-private-key-file
  std::optional<std::string> policy_file;  ///< --policy (absent: built-in policy)
  std::optional<std::string> client_ca_file;  ///< --client-ca-file: require client certificates
  std::string log_level = "info";          ///< --log-level trace|debug|info|warn|error|off
  bool dev_self_signed = false;            ///< --dev-self-signed
  int max_connections = 4096;              ///< --max-connections: open at once; later ones wait
  int worker_threads = 0;                  ///< --worker-threads: event-loop threads (0: 8 per usable CPU)
  int keep_alive_timeout_s = 120;          ///< --keep-alive-timeout
  int handshake_timeout_s = 5;             ///< --handshake-timeout: accept to TLS handshake done
  int read_timeout_s = 10;                 ///< --read-timeout: a whole request (and handshake to first request)
  int write_timeout_s = 10;                ///< --write-timeout: a whole answer
  std::size_t max_body_bytes = 3 * 1024 * 1024 + 512 * 1024;  ///< --max-body-bytes (413 above)
  int reload_interval_ms = 1000;           ///< --reload-interval-ms: how often files are checked
  int shutdown_delay_s = 0;                ///< --shutdown-delay: keep serving (unready) before closing
  int shutdown_grace_s = 25;               ///< --shutdown-grace-period: in-flight deadline
};

/// Checks the options first (check_serve_options), then serves until SIGTERM/SIGINT and drains.
/// Exit code: 0 clean, 1 grace period exceeded or listener lost, 2 bad flags / unreadable policy
/// or certificates / address in use at start.
int run_serve(const ServeOptions& options);

/// HOST:PORT, [IPv6]:PORT. Port 1..65535 (0 = any, used by tests).
struct ListenAddress {
  std::string host;
  int port = 0;
};
std::optional<ListenAddress> parse_listen(std::string_view s, std::string& error);

/// The options of `serve` that can be judged without a file or a socket: --listen, the
/// certificate flags (a pair, or --dev-self-signed alone), every number in its range,
/// --log-level. Returns the --listen address, or an error naming the first bad flag, its value
/// and what is allowed.
Result<ListenAddress> check_serve_options(const ServeOptions& options);

/// What identifies a file's content for reload purposes: the target after resolving symlinks
/// (a Secret volume swaps `..data`), inode, size, mtime. Missing files have exists=false.
struct FileFingerprint {
  bool exists = false;
  std::string resolved;
  std::uint64_t inode = 0, size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileFingerprint&) const = default;
};
FileFingerprint fingerprint(const std::string& path);

/// Facts about a loaded certificate, for readyz, metrics and logs.
struct CertInfo {
  std::string subject;
  std::time_t not_before = 0, not_after = 0;
};

/// An owned certificate chain and key (OpenSSL objects behind an opaque pointer).
class CertPair {
 public:
  ~CertPair();
  CertPair(const CertPair&) = delete;
  CertPair& operator=(const CertPair&) = delete;
  const CertInfo& info() const { return info_; }
  struct Impl;
  const Impl& impl() const { return *impl_; }
  explicit CertPair(std::unique_ptr<Impl> impl, CertInfo info);

 private:
  std::unique_ptr<Impl> impl_;
  CertInfo info_;
};

/// Reads a PEM certificate (leaf first, then intermediates) and a PEM private key. Fails when
/// either is unreadable, the key does not match the certificate, or it is not valid at `now`.
std::shared_ptr<const CertPair> load_cert_pair(const std::string& cert_file,
                                               const std::string& key_file, std::time_t now,
                                               std::string& error);

/// Files written by make_dev_certificates.
struct DevCertificates {
  std::string dir, ca_file, cert_file, key_file;
  std::string ca_bundle_base64;  ///< base64 of the CA PEM, for caBundle
};
/// A throwaway CA and a serving certificate (EC P-256, 7 days) for `dns_names` and `ips`,
/// written under `dir` (created if missing).
std::optional<DevCertificates> make_dev_certificates(const std::string& dir,
                                                     const std::vector<std::string>& dns_names,
                                                     const std::vector<std::string>& ips,
                                                     std::string& error);

/// Prometheus counters and gauges of the server. Thread-safe; render() is the /metrics body.
class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  /// One admission review answered: endpoint validate|mutate; decision allowed|denied|patched|error.
  void observe_review(std::string_view endpoint, std::string_view operation, std::string_view kind,
                      std::string_view decision, const std::vector<std::string>& rules,
                      double seconds);
  void observe_http(int status);
  void policy_reload(bool ok);
  void certificate_reload(bool ok);
  void set_certificate(const CertInfo& info);
  void set_ready(bool ready) { ready_.store(ready); }
  std::atomic<long long>& in_flight() { return in_flight_; }
  /// Connections the event loops are serving, and accepted ones waiting for a slot
  /// (over --max-connections).
  std::atomic<long long>& connections_active() { return conn_active_; }
  std::atomic<long long>& connections_queued() { return conn_queued_; }
  /// Connections the server ended itself, by reason (event_loop.hpp CloseReason).
  std::atomic<unsigned long long>* connections_closed() { return closed_.data(); }
  std::string render() const;

 private:
  /// Per-review counters are looked up under a shared lock with no allocation (the key is the
  /// label values, length-prefixed, built in a per-thread buffer) and bumped atomically; only a
  /// label set seen for the first time takes the lock exclusively.
  struct Counter {
    std::atomic<unsigned long long> n{0};
  };
  struct Histogram {
    std::array<std::atomic<unsigned long long>, kBuckets.size() + 1> buckets{};
    std::atomic<unsigned long long> sum_ns{0};
  };
  template <class V>
  using Table = std::map<std::string, std::unique_ptr<V>, std::less<>>;
  template <class V>
  V& slot(Table<V>& table, std::string_view key);
  mutable std::shared_mutex mu_;
  Table<Counter> reviews_;    // endpoint, operation, kind, decision
  Table<Counter> rules_;      // endpoint, rule
  Table<Histogram> latency_;  // endpoint
  std::array<std::atomic<unsigned long long>, 600> http_{};  // by status; [0] = outside 100-599
  std::atomic<unsigned long long> policy_ok_{0}, policy_fail_{0}, cert_ok_{0}, cert_fail_{0};
  std::atomic<long long> cert_not_after_{0}, in_flight_{0}, conn_active_{0}, conn_queued_{0};
  std::atomic<bool> ready_{false};
  std::array<std::atomic<unsigned long long>, 8> closed_{};
};

}  // namespace gopreflight::webhook::server
