#pragma once
// One accepted TLS connection: the handshake and an httplib::Stream with read and write buffers.
//
// Why not httplib's own SSLSocketStream: it reads request headers one byte at a time (one
// SSL_read per byte), asks the kernel for the peer and local address on every request, writes
// headers and body as two TLS records (two TCP segments with TCP_NODELAY, two wake-ups for the
// client) and waits for the next keep-alive request in a loop of 10 ms polls and 1 ms sleeps.
#include <httplib.h>
#include <openssl/ssl.h>
#include <sys/time.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace gopreflight::webhook::server {

/// Completes the server side of a TLS handshake on `sock` (blocking socket on return), giving
/// the client at most `timeout_ms` in total. False (connection unusable) on failure or timeout.
bool tls_accept(int sock, SSL* ssl, int timeout_ms);

/// httplib::Stream over an established TLS connection.
class TlsStream final : public httplib::Stream {
 public:
  TlsStream(int sock, SSL* ssl, int read_timeout_ms, int write_timeout_ms);
  ~TlsStream() override = default;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, std::size_t size) override;
  /// Buffers; the buffer is sent by flush(), before any read that has to wait, and when it
  /// grows past kFlushAt.
  ssize_t write(const char* ptr, std::size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return sock_; }

  /// Sends what write() buffered. False when the peer is gone or the write timed out.
  bool flush();
  /// Waits up to `timeout_ms` for the first byte of the next request (buffered bytes count).
  bool wait_request(int timeout_ms);

  static constexpr std::size_t kReadBuffer = 16 * 1024;  ///< one TLS record's plaintext
  static constexpr std::size_t kFlushAt = 64 * 1024;

 private:
  ssize_t read_tls(char* ptr, std::size_t size);

  int sock_;
  SSL* ssl_;
  int read_timeout_ms_, write_timeout_ms_;
  std::unique_ptr<char[]> in_;
  std::size_t in_pos_ = 0, in_len_ = 0;
  bool socket_readable_ = false;  ///< poll() just said so: the next read need not ask again
  std::string out_;
  std::string remote_ip_, local_ip_;
  int remote_port_ = -1, local_port_ = -1;
};

}  // namespace gopreflight::webhook::server
