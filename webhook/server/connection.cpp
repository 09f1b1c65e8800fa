// One accepted TLS connection (see connection.hpp).
#include "connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>

namespace gopreflight::webhook::server {
namespace {

/// poll() for one event; true when it is there within `timeout_ms` (errors and hang-ups count:
/// the following read or write reports them).
bool wait_for(int sock, short events, int timeout_ms) {
  pollfd p{sock, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

void set_nonblocking(int sock, bool on) {
  const int flags = ::fcntl(sock, F_GETFL, 0);
  if (flags < 0) return;
  ::fcntl(sock, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

void address_of(const sockaddr_storage& ss, std::string& ip, int& port) {
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  ip = host;
}

}  // namespace

bool tls_accept(int sock, SSL* ssl, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  set_nonblocking(sock, true);
  bool ok = SSL_set_fd(ssl, sock) == 1;
  while (ok) {
    const int r = SSL_accept(ssl);
    if (r == 1) break;
    const int err = SSL_get_error(ssl, r);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)) {
      ok = false;
    } else {
      ok = wait_for(sock, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, static_cast<int>(left));
    }
  }
  set_nonblocking(sock, false);
  return ok;
}

TlsStream::TlsStream(int sock, SSL* ssl, int read_timeout_ms, int write_timeout_ms)
    : sock_(sock), ssl_(ssl), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms),
      in_(new char[kReadBuffer]) {
  // The addresses do not change for the connection's life; httplib asks for them per request.
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&ss), &len) == 0) address_of(ss, remote_ip_, remote_port_);
  ss = {};
  len = sizeof ss;
  if (::getsockname(sock, reinterpret_cast<sockaddr*>(&ss), &len) == 0) address_of(ss, local_ip_, local_port_);
}

bool TlsStream::is_readable() const {
  return in_pos_ < in_len_ || SSL_has_pending(ssl_) == 1 || wait_for(sock_, POLLIN, read_timeout_ms_);
}

bool TlsStream::is_writable() const { return wait_for(sock_, POLLOUT, write_timeout_ms_); }

ssize_t TlsStream::read_tls(char* ptr, std::size_t size) {
  const int n = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
  for (;;) {
    // SSL_has_pending also sees unprocessed records in the read-ahead buffer (SSL_pending
    // does not). After wait_request saw the socket readable, the first read skips the poll.
    if (socket_readable_) {
      socket_readable_ = false;
    } else if (SSL_has_pending(ssl_) != 1 && !wait_for(sock_, POLLIN, read_timeout_ms_)) {
      return -1;
    }
    const int r = SSL_read(ssl_, ptr, n);
    if (r > 0) return r;
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_ZERO_RETURN) return 0;
    // A record split across segments, or a receive timeout (SO_RCVTIMEO): wait again, the
    // poll above bounds the silence to the read timeout.
    if (err != SSL_ERROR_WANT_READ) return -1;
  }
}

ssize_t TlsStream::read(char* ptr, std::size_t size) {
  if (in_pos_ == in_len_) {
    // Whatever is buffered (a 100 Continue) must reach the client before we wait for it.
    if (!out_.empty() && !flush()) return -1;
    if (size >= kReadBuffer) return read_tls(ptr, size);
    const ssize_t n = read_tls(in_.get(), kReadBuffer);
    if (n <= 0) return n;
    in_pos_ = 0;
    in_len_ = static_cast<std::size_t>(n);
  }
  const std::size_t k = std::min(size, in_len_ - in_pos_);
  std::memcpy(ptr, in_.get() + in_pos_, k);
  in_pos_ += k;
  return static_cast<ssize_t>(k);
}

ssize_t TlsStream::write(const char* ptr, std::size_t size) {
  out_.append(ptr, size);
  if (out_.size() >= kFlushAt && !flush()) return -1;
  return static_cast<ssize_t>(size);
}

bool TlsStream::flush() {
  std::size_t off = 0;
  bool ok = true;
  while (off < out_.size()) {
    const int n = static_cast<int>(std::min<std::size_t>(out_.size() - off, INT_MAX));
    const int r = SSL_write(ssl_, out_.data() + off, n);
    if (r > 0) {
      off += static_cast<std::size_t>(r);
      continue;
    }
    // Same buffer and length again after WANT_WRITE, as OpenSSL requires.
    if (SSL_get_error(ssl_, r) == SSL_ERROR_WANT_WRITE && wait_for(sock_, POLLOUT, write_timeout_ms_)) continue;
    ok = false;
    break;
  }
  out_.clear();
  if (out_.capacity() > kFlushAt) out_.shrink_to_fit();  // a large /metrics answer is not kept
  return ok;
}

bool TlsStream::wait_request(int timeout_ms) {
  if (in_pos_ < in_len_ || SSL_has_pending(ssl_) == 1) return true;
  socket_readable_ = wait_for(sock_, POLLIN, timeout_ms);
  return socket_readable_;
}

void TlsStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = remote_ip_;
  port = remote_port_;
}

void TlsStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = local_ip_;
  port = local_port_;
}

}  // namespace gopreflight::webhook::server
