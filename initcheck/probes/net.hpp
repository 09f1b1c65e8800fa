#pragma once
/// A client connection whose every step (resolve, connect, TLS handshake, write, read) ends by one
/// deadline. Plain POSIX sockets; TLS through OpenSSL memory BIOs so all socket I/O is ours
/// (non-blocking, MSG_NOSIGNAL: no SIGPIPE, no blocking call). Internal to the probes.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct bio_st BIO;

namespace gopreflight::initcheck::probe_detail {

/// Why an attempt failed; picks the remediation.
enum class FailKind { none, config, resolve, refused, timeout, network, tls, protocol, unhealthy };

struct TlsOptions {
  bool insecure = false;
  std::string ca_file;
  bool host_is_ip = false;
};

class Conn {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Conn(Clock::time_point deadline) : deadline_(deadline) {}
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  /// Resolves `host` and connects to the first address that accepts. Sets peer().
  bool connect(const std::string& host, std::uint16_t port);
  /// TLS handshake; verifies the chain and the host name unless insecure.
  bool start_tls(const std::string& host, const TlsOptions& opts);
  bool write_all(std::string_view data);
  /// Appends what arrives (at most `max` bytes); `eof` set when the peer closed.
  bool read_some(std::string& buf, std::size_t max, bool& eof);

  const std::string& peer() const { return peer_; }
  FailKind fail_kind() const { return kind_; }
  const std::string& error() const { return error_; }
  /// e.g. "TLSv1.3, certificate verified for localhost"
  const std::string& tls_summary() const { return tls_summary_; }
  std::chrono::milliseconds remaining() const;

 private:
  bool set_error(FailKind kind, std::string message);
  bool wait(short events, const char* what);
  bool send_raw(const char* data, std::size_t len);
  bool recv_raw(char* data, std::size_t cap, std::size_t& got, bool& eof);
  bool flush_tls();
  bool fill_tls();
  /// Runs an SSL call until it completes; returns its result (> 0), 0 on clean close, -1 on error.
  template <class Op>
  int tls_call(Op op, const char* what);

  Clock::time_point deadline_;
  int fd_ = -1;
  std::string peer_;
  FailKind kind_ = FailKind::none;
  std::string error_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  ///< owned by ssl_
  BIO* wbio_ = nullptr;  ///< owned by ssl_
  bool tls_eof_ = false;
  std::string tls_summary_;
};

}  // namespace gopreflight::initcheck::probe_detail
