// Deadline-bounded client connection: resolve, connect, TLS, write, read (see net.hpp).
#include "probes/net.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

namespace gopreflight::initcheck::probe_detail {

namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

std::string addr_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "(unknown address family)";
}

struct AddrinfoDeleter {
  void operator()(addrinfo* p) const {
    if (p != nullptr) freeaddrinfo(p);
  }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoDeleter>;

/// getaddrinfo has no timeout of its own: it runs on a detached thread and is abandoned at the
/// deadline (the thread frees its result when it finishes late).
struct ResolveState {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool abandoned = false;
  int rc = 0;
  addrinfo* res = nullptr;
};

int resolve(const std::string& host, const std::string& port, Clock::time_point deadline, AddrinfoPtr& out,
            bool& timed_out) {
  timed_out = false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  in6_addr probe6{};
  in_addr probe4{};
  if (inet_pton(AF_INET, host.c_str(), &probe4) == 1 || inet_pton(AF_INET6, host.c_str(), &probe6) == 1) {
    hints.ai_flags = AI_NUMERICHOST;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    out.reset(res);
    return rc;
  }
  auto st = std::make_shared<ResolveState>();
  try {
    std::thread([st, host, port, hints] {
      addrinfo* res = nullptr;
      int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
      std::lock_guard<std::mutex> lock(st->m);
      if (st->abandoned) {
        if (rc == 0 && res != nullptr) freeaddrinfo(res);
        return;
      }
      st->rc = rc;
      st->res = res;
      st->done = true;
      st->cv.notify_all();
    }).detach();
  } catch (const std::exception&) {
    addrinfo* res = nullptr;  // no thread available: resolve inline
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    out.reset(res);
    return rc;
  }
  std::unique_lock<std::mutex> lock(st->m);
  if (!st->cv.wait_until(lock, deadline, [&] { return st->done; })) {
    st->abandoned = true;
    timed_out = true;
    return EAI_AGAIN;
  }
  out.reset(st->res);
  return st->rc;
}

std::string openssl_error_text() {
  unsigned long e = ERR_peek_last_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  // "error:0A000086:SSL routines::certificate verify failed" -> keep the reason part.
  std::string s(buf);
  auto pos = s.rfind(':');
  return pos == std::string::npos ? s : s.substr(pos + 1);
}

}  // namespace

Conn::~Conn() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // frees rbio_/wbio_
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

std::chrono::milliseconds Conn::remaining() const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

bool Conn::set_error(FailKind kind, std::string message) {
  kind_ = kind;
  error_ = std::move(message);
  return false;
}

bool Conn::wait(short events, const char* what) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    if (left <= 0) {
      return set_error(FailKind::timeout, std::string("timed out ") + what + " " + peer_);
    }
    pollfd p{fd_, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left > 60000 ? 60000 : left));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return set_error(FailKind::network, std::string("poll: ") + errno_text(errno));
  }
}

bool Conn::connect(const std::string& host, std::uint16_t port) {
  const std::string port_text = std::to_string(port);
  const std::string target = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port_text;
  AddrinfoPtr res;
  bool timed_out = false;
  int rc = resolve(host, port_text, deadline_, res, timed_out);
  if (timed_out) return set_error(FailKind::resolve, "resolve " + host + ": timed out (DNS did not answer)");
  if (rc != 0) {
    std::string why = rc == EAI_SYSTEM ? errno_text(errno) : gai_strerror(rc);
    return set_error(FailKind::resolve, "resolve " + host + ": " + why);
  }
  if (!res) return set_error(FailKind::resolve, "resolve " + host + ": no addresses");
  for (addrinfo* ai = res.get(); ai != nullptr; ai = ai->ai_next) {
    peer_ = addr_text(ai->ai_addr);
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      set_error(FailKind::network, "socket: " + errno_text(errno));
      continue;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int crc = ::connect(fd_, ai->ai_addr, ai->ai_addrlen);
    int err = crc == 0 ? 0 : errno;
    if (crc != 0 && (err == EINPROGRESS || err == EINTR)) {
      if (!wait(POLLOUT, "connecting to")) {
        error_ = "connect " + peer_ + ": timed out";
        continue;  // next address, if any time is left
      }
      socklen_t len = sizeof err;
      if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
    if (err == 0) {
      kind_ = FailKind::none;
      error_.clear();
      return true;
    }
    set_error(err == ECONNREFUSED ? FailKind::refused
              : (err == ETIMEDOUT)  ? FailKind::timeout
                                    : FailKind::network,
              "connect " + peer_ + ": " + errno_text(err));
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (error_.empty()) set_error(FailKind::network, "connect " + target + ": no usable address");
  return false;
}

bool Conn::send_raw(const char* data, std::size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd_, data, len, MSG_NOSIGNAL);
    if (n > 0) {
      data += n;
      len -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait(POLLOUT, "sending to")) return false;
      continue;
    }
    return set_error(FailKind::network, "send to " + peer_ + ": " + errno_text(errno));
  }
  return true;
}

bool Conn::recv_raw(char* data, std::size_t cap, std::size_t& got, bool& eof) {
  got = 0;
  eof = false;
  for (;;) {
    ssize_t n = ::recv(fd_, data, cap, 0);
    if (n > 0) {
      got = static_cast<std::size_t>(n);
      return true;
    }
    if (n == 0) {
      eof = true;
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (!wait(POLLIN, "waiting for a reply from")) return false;
      continue;
    }
    return set_error(FailKind::network, "receive from " + peer_ + ": " + errno_text(errno));
  }
}

bool Conn::flush_tls() {
  char buf[16384];
  while (BIO_ctrl_pending(wbio_) > 0) {
    int n = BIO_read(wbio_, buf, sizeof buf);
    if (n <= 0) break;
    if (!send_raw(buf, static_cast<std::size_t>(n))) return false;
  }
  return true;
}

bool Conn::fill_tls() {
  char buf[16384];
  std::size_t got = 0;
  bool eof = false;
  if (!recv_raw(buf, sizeof buf, got, eof)) return false;
  if (eof) {
    BIO_set_mem_eof_return(rbio_, 0);  // empty rbio now reads as EOF, not "retry"
    tls_eof_ = true;
    return true;
  }
  BIO_write(rbio_, buf, static_cast<int>(got));
  return true;
}

template <class Op>
int Conn::tls_call(Op op, const char* what) {
  for (;;) {
    ERR_clear_error();
    int rc = op();
    int err = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
    if (!flush_tls()) return -1;
    if (rc > 0) return rc;
    if (err == SSL_ERROR_WANT_READ) {
      if (tls_eof_) {
        set_error(FailKind::tls, std::string("TLS ") + what + " with " + peer_ + ": connection closed by the peer");
        return -1;
      }
      if (!fill_tls()) return -1;
      continue;
    }
    if (err == SSL_ERROR_WANT_WRITE) continue;
    if (err == SSL_ERROR_ZERO_RETURN) return 0;
    std::string why;
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      why = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    } else if (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0) {
      why = tls_eof_ ? "connection closed by the peer" : "I/O error";
    } else {
      why = openssl_error_text();
    }
    set_error(FailKind::tls, std::string("TLS ") + what + " with " + peer_ + ": " + why);
    return -1;
  }
}

bool Conn::start_tls(const std::string& host, const TlsOptions& opts) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) return set_error(FailKind::tls, "TLS: " + openssl_error_text());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  // Servers that close without close_notify end a read-to-EOF body; framing catches truncation.
  SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (!opts.insecure) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_default_verify_paths(ctx_);
    ERR_clear_error();  // a missing system store is not fatal when ca_file is given
    if (!opts.ca_file.empty() && SSL_CTX_load_verify_locations(ctx_, opts.ca_file.c_str(), nullptr) != 1) {
      return set_error(FailKind::config, "ca_file " + opts.ca_file + ": cannot load CA certificates (" +
                                             openssl_error_text() + ")");
    }
  }
  ssl_ = SSL_new(ctx_);
  if (ssl_ == nullptr) return set_error(FailKind::tls, "TLS: " + openssl_error_text());
  if (!opts.host_is_ip) SSL_set_tlsext_host_name(ssl_, host.c_str());
  if (!opts.insecure) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    int ok = 0;
    if (opts.host_is_ip) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
    if (ok != 1) return set_error(FailKind::config, "TLS: cannot verify against host '" + host + "'");
  }
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (rbio_ == nullptr || wbio_ == nullptr) {
    if (rbio_ != nullptr) BIO_free(rbio_);
    if (wbio_ != nullptr) BIO_free(wbio_);
    rbio_ = wbio_ = nullptr;
    return set_error(FailKind::tls, "TLS: out of memory");
  }
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_connect_state(ssl_);
  if (tls_call([this] { return SSL_do_handshake(ssl_); }, "handshake") <= 0) {
    if (kind_ == FailKind::none) set_error(FailKind::tls, "TLS handshake with " + peer_ + ": connection closed");
    return false;
  }
  tls_summary_ = std::string(SSL_get_version(ssl_)) +
                 (opts.insecure ? ", certificate NOT verified (tls_insecure)"
                                : ", certificate verified for " + host);
  return true;
}

bool Conn::write_all(std::string_view data) {
  if (ssl_ == nullptr) return send_raw(data.data(), data.size());
  while (!data.empty()) {
    const int chunk = static_cast<int>(data.size() > 16384 ? 16384 : data.size());
    int n = tls_call([&] { return SSL_write(ssl_, data.data(), chunk); }, "write");
    if (n <= 0) {
      if (kind_ == FailKind::none) set_error(FailKind::network, "TLS write to " + peer_ + ": connection closed");
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool Conn::read_some(std::string& buf, std::size_t max, bool& eof) {
  eof = false;
  char tmp[16384];
  const std::size_t cap = max < sizeof tmp ? max : sizeof tmp;
  if (cap == 0) return set_error(FailKind::protocol, "reply from " + peer_ + " is larger than the probe reads");
  if (ssl_ == nullptr) {
    std::size_t got = 0;
    if (!recv_raw(tmp, cap, got, eof)) return false;
    buf.append(tmp, got);
    return true;
  }
  int n = tls_call([&] { return SSL_read(ssl_, tmp, static_cast<int>(cap)); }, "read");
  if (n < 0) return false;
  if (n == 0) {
    eof = true;
    return true;
  }
  buf.append(tmp, static_cast<std::size_t>(n));
  return true;
}

}  // namespace gopreflight::initcheck::probe_detail
