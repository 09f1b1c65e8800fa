// Event-loop connection handling (see event_loop.hpp).
#include "event_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <sched.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include "http_framing.hpp"

/// The executable's per-thread small-block cache (server/alloc/thread_cache.cpp), when linked in.
extern "C" void gopreflight_thread_cache_flush() noexcept __attribute__((weak));

namespace gopreflight::webhook::server {

using Clock = std::chrono::steady_clock;

namespace {

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

Peer peer_of(int sock) {
  Peer p;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&ss), &len) == 0) address_of(ss, p.remote_ip, p.remote_port);
  ss = {};
  len = sizeof ss;
  if (::getsockname(sock, reinterpret_cast<sockaddr*>(&ss), &len) == 0) address_of(ss, p.local_ip, p.local_port);
  return p;
}

/// Received plaintext: bytes [off, len) of data are not yet consumed.
struct InBuffer {
  static constexpr std::size_t kChunk = 16 * 1024;  ///< one TLS record's plaintext
  std::unique_ptr<char[]> data;
  std::size_t cap = 0, off = 0, len = 0;

  std::size_t pending() const { return len - off; }
  std::string_view view() const { return {data.get() + off, len - off}; }
  /// Free bytes after len for the next read (moving pending bytes to the front first): 2 KiB
  /// for a new or shrunk buffer, doubling up to kChunk as a request grows, so a client that
  /// sends a few bytes costs a few KiB, not a TLS record's worth.
  void make_room() {
    if (off > 0 && (off == len || cap - len < kChunk)) {
      std::memmove(data.get(), data.get() + off, len - off);
      len -= off;
      off = 0;
    }
    const std::size_t want = std::min(kChunk, std::max<std::size_t>(2048, len));
    if (cap - len >= want) return;
    const std::size_t ncap = std::max(cap * 2, len + want);
    std::unique_ptr<char[]> n(new char[ncap]);
    if (len > 0) std::memcpy(n.get(), data.get(), len);
    data = std::move(n);
    cap = ncap;
  }
  void consume(std::size_t n) {
    off += n;
    if (off == len) off = len = 0;
  }
  /// After a large request: give the memory back once nothing is pending.
  void trim() {
    if (cap > 4 * kChunk && pending() == 0) release();
  }
  /// A quiet connection: keep only the pending bytes (none: no buffer at all).
  void shrink() {
    if (pending() == 0) return release();
    if (cap == pending()) return;
    std::unique_ptr<char[]> n(new char[pending()]);
    std::memcpy(n.get(), data.get() + off, pending());
    data = std::move(n);
    cap = len = pending();
    off = 0;
  }
  void release() {
    data.reset();
    cap = off = len = 0;
  }
};

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr int kSweepMs = 250;  ///< how often deadlines are checked
constexpr auto kQuiet = std::chrono::seconds(1);  ///< no I/O this long: buffers are given back
/// After a refusal the client may still be sending; reading (and dropping) what it sends for a
/// moment lets the refusal arrive instead of a reset (RFC 9112 9.6).
constexpr auto kLinger = std::chrono::milliseconds(500);
constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;

}  // namespace

class EventLoops::Loop {
 public:
  Loop(EventLoops& owner, int index) : owner_(owner), index_(index) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the wake-up descriptor
    if (ep_ < 0 || wake_ < 0 || ::epoll_ctl(ep_, EPOLL_CTL_ADD, wake_, &ev) != 0) {
      const std::string why = std::strerror(errno);
      if (wake_ >= 0) ::close(wake_);
      if (ep_ >= 0) ::close(ep_);
      throw std::runtime_error("cannot set up an event loop (epoll/eventfd): " + why);
    }
    limits_.max_header = owner_.opts_.max_header_bytes;
    limits_.max_body = owner_.opts_.max_body_bytes;
  }
  ~Loop() {
    if (wake_ >= 0) ::close(wake_);
    if (ep_ >= 0) ::close(ep_);
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// From any thread.
  void give(int sock, Clock::time_point accepted) {
    {
      std::lock_guard lock(inbox_mu_);
      inbox_.push_back({sock, accepted});
    }
    wake();
  }
  void stop() {
    stopping_.store(true);
    wake();
  }
  /// From a helper thread: the offloaded connection has its answer in out.
  void offload_done(void* conn) {
    {
      std::lock_guard lock(inbox_mu_);
      returned_.push_back(conn);
    }
    wake();
  }

  void run() {
    epoll_event evs[64];
    auto next_sweep = Clock::now() + std::chrono::milliseconds(kSweepMs);
    for (;;) {
      const int n = ::epoll_wait(ep_, evs, 64, kSweepMs);
      if (n < 0 && errno != EINTR) break;
      for (int i = 0; i < n; ++i) {
        if (evs[i].data.ptr == nullptr) {
          take_inbox();
        } else {
          drive(*static_cast<Conn*>(evs[i].data.ptr));
        }
      }
      const auto now = Clock::now();
      if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + std::chrono::milliseconds(kSweepMs);
      }
      if (stopping_.load() && conns_.empty()) {
        std::lock_guard lock(inbox_mu_);
        if (inbox_.empty()) break;
      }
    }
    // Only on an epoll failure can connections remain. One a helper thread holds is left to it
    // (it is not freed under the helper; it is never served again either).
    for (std::size_t i = conns_.size(); i-- > 0;) {
      if (i < conns_.size() && !conns_[i]->offloaded) close_conn(*conns_[i], false);
    }
  }

 private:
  enum class Phase : unsigned char {
    kHandshake,  ///< TLS not finished (no SSL object until the first bytes arrive)
    kRequest,    ///< waiting for or reading a request
    kAnswer,     ///< writing an answer
    kLinger,     ///< refusal sent, write side shut: dropping what the client still sends
  };
  struct Conn {
    int fd = -1;
    SSL* ssl = nullptr;
    std::size_t slot = 0;  ///< index in conns_
    Phase phase = Phase::kHandshake;
    bool busy = false;             ///< inside a request (ConnectionTable kBusy)
    bool request_started = false;  ///< bytes of the current request arrived (its deadline runs)
    bool served = false;           ///< answered a request before: idle time is keep-alive
    bool answered = false;         ///< out holds the answer to the request just served
    bool close_after = false;      ///< close once out is sent
    bool refused = false;          ///< close_after because the framing refused a request
    bool continue_sent = false;    ///< 100 Continue already sent for the current request
    bool offloaded = false;        ///< a helper thread owns it (out of the epoll set) until it returns
    bool quiet = false;            ///< buffers given back since the last I/O
    std::uint32_t interest = 0;
    CloseReason on_deadline = CloseReason::kHandshakeDeadline;
    Clock::time_point deadline, last_io;
    std::size_t lingered = 0;
    InBuffer in;
    RequestScanner scanner;
    std::string out;
    std::size_t out_off = 0;
    Peer peer;
  };

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t r = ::write(wake_, &one, sizeof one);
  }

  void take_inbox() {
    std::uint64_t v = 0;
    [[maybe_unused]] const ssize_t r = ::read(wake_, &v, sizeof v);
    std::vector<Queued> socks;
    std::vector<void*> back;
    {
      std::lock_guard lock(inbox_mu_);
      socks.swap(inbox_);
      back.swap(returned_);
    }
    for (const Queued& q : socks) open_conn(q.sock, q.accepted);
    for (void* p : back) {
      Conn& c = *static_cast<Conn*>(p);
      c.offloaded = false;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = &c;
      if (::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
        close_conn(c, false);
        continue;
      }
      c.interest = EPOLLIN;
      drive(c);
    }
  }

  void set_deadline(Conn& c, Clock::time_point from, int ms, CloseReason why) {
    c.deadline = from + std::chrono::milliseconds(ms);
    c.on_deadline = why;
  }

  /// A new socket waits for its first bytes with no TLS state (a client that connects and
  /// sends nothing costs a descriptor and this struct until the handshake deadline).
  void open_conn(int sock, Clock::time_point accepted) {
    const int flags = ::fcntl(sock, F_GETFL, 0);
    if (flags >= 0) ::fcntl(sock, F_SETFL, flags | O_NONBLOCK);
    owner_.table_.opened(sock);
    auto c = std::make_unique<Conn>();
    c->fd = sock;
    set_deadline(*c, accepted, owner_.opts_.handshake_timeout_ms, CloseReason::kHandshakeDeadline);
    c->last_io = Clock::now();
    c->slot = conns_.size();
    Conn& ref = *c;
    conns_.push_back(std::move(c));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &ref;
    if (::epoll_ctl(ep_, EPOLL_CTL_ADD, sock, &ev) != 0) return close_conn(ref, false);
    ref.interest = EPOLLIN;
  }

  void want(Conn& c, std::uint32_t events) {
    if (c.interest == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &c;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.interest = events;
  }

  void count(CloseReason r) {
    if (owner_.gauges_.closed) owner_.gauges_.closed[static_cast<int>(r)].fetch_add(1, std::memory_order_relaxed);
  }

  /// Ends the connection. `polite`: the answer went out and the connection ends by our choice
  /// (Connection: close): send TLS close_notify first.
  void close_conn(Conn& c, bool polite) {
    const int fd = c.fd;
    ERR_clear_error();  // this thread's OpenSSL error queue serves its other connections too
    if (c.ssl) {
      if (polite && c.phase != Phase::kHandshake && c.phase != Phase::kLinger) SSL_shutdown(c.ssl);
      SSL_free(c.ssl);
    }
    owner_.table_.closed(fd);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);  // also leaves the epoll set
    // Swap-remove from conns_ (c is destroyed here).
    const std::size_t slot = c.slot;
    if (slot + 1 != conns_.size()) {
      conns_[slot] = std::move(conns_.back());
      conns_[slot]->slot = slot;
    }
    conns_.pop_back();
    int next = -1;
    Clock::time_point accepted;
    if (owner_.release_slot(next, accepted)) {
      open_conn(next, accepted);
    } else {
      --owner_.gauges_.open;
    }
  }

  /// After a refusal: close_notify, shut the write side, then drop what the client still sends
  /// for a moment (so it reads the refusal instead of a reset), then close.
  void linger(Conn& c) {
    ERR_clear_error();
    SSL_shutdown(c.ssl);
    ::shutdown(c.fd, SHUT_WR);
    c.phase = Phase::kLinger;
    c.deadline = Clock::now() + kLinger;
    c.on_deadline = CloseReason::kRefused;
    SSL_free(c.ssl);
    c.ssl = nullptr;
    c.in.release();
    c.out.clear();
    c.out.shrink_to_fit();
    want(c, EPOLLIN);
    drain(c);
  }

  void drain(Conn& c) {
    char scratch[16 * 1024];
    for (;;) {
      const ssize_t r = ::recv(c.fd, scratch, sizeof scratch, 0);
      if (r > 0) {
        c.lingered += static_cast<std::size_t>(r);
        if (c.lingered > kLingerBytes) break;
        continue;
      }
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (r < 0 && errno == EINTR) continue;
      break;  // end of stream or an error
    }
    count(CloseReason::kRefused);
    close_conn(c, false);
  }

  enum Io { kDone, kWaitRead, kWaitWrite, kDead };

  /// Sends what is buffered, as far as the socket takes it.
  Io flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      const int n = static_cast<int>(std::min<std::size_t>(c.out.size() - c.out_off, INT_MAX));
      const int r = SSL_write(c.ssl, c.out.data() + c.out_off, n);
      if (r > 0) {
        c.out_off += static_cast<std::size_t>(r);
        c.last_io = Clock::now();
        c.quiet = false;
        continue;
      }
      const int err = SSL_get_error(c.ssl, r);
      if (err == SSL_ERROR_WANT_WRITE) return kWaitWrite;
      if (err == SSL_ERROR_WANT_READ) return kWaitRead;  // TLS wants the peer's bytes first
      return kDead;
    }
    return kDone;
  }

  /// Reads what the socket has (at most what one request may be): kDone when bytes arrived,
  /// else what to wait for, or kDead (the peer closed or the connection failed).
  Io read_some(Conn& c) {
    const std::size_t limit = owner_.opts_.max_header_bytes + owner_.opts_.max_body_bytes + InBuffer::kChunk;
    bool got = false;
    while (c.in.pending() < limit) {
      c.in.make_room();
      const int room = static_cast<int>(std::min<std::size_t>(c.in.cap - c.in.len, INT_MAX));
      const int r = SSL_read(c.ssl, c.in.data.get() + c.in.len, room);
      if (r > 0) {
        c.in.len += static_cast<std::size_t>(r);
        got = true;
        continue;
      }
      const int err = SSL_get_error(c.ssl, r);
      if (got) {
        c.last_io = Clock::now();
        c.quiet = false;
      }
      if (err == SSL_ERROR_WANT_READ) return got ? kDone : kWaitRead;
      if (err == SSL_ERROR_WANT_WRITE) return got ? kDone : kWaitWrite;
      // Closed or failed. Bytes read before it are served first: the next read reports it again.
      ERR_clear_error();
      return got ? kDone : kDead;
    }
    return got ? kDone : kDead;  // cannot happen: the framing refuses before the limit
  }

  /// One request the framing accepted: the handler answers it into c.out.
  void serve(Conn& c, const RequestFrame& f) {
    bool close = f.request.close;
    owner_.handlers_.serve(f.request, c.peer, c.out, close);
    c.in.consume(f.length);
    c.scanner.reset();
    c.answered = true;
    c.close_after = close;
  }

  /// Does all that can be done without waiting, then waits for the right event.
  void drive(Conn& c) {
    const auto& o = owner_.opts_;
    if (c.phase == Phase::kLinger) return drain(c);
    if (c.phase == Phase::kHandshake) {
      if (!c.ssl) {
        c.ssl = SSL_new(owner_.ctx_);
        if (!c.ssl || SSL_set_fd(c.ssl, c.fd) != 1) return close_conn(c, false);
        SSL_set_accept_state(c.ssl);
        // Partial writes: a large answer goes out as the socket takes it, from a buffer that
        // may move between calls (out is appended to only when empty, but std::string may
        // reallocate).
        SSL_set_mode(c.ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
      }
      const int r = SSL_accept(c.ssl);
      if (r != 1) {
        const int err = SSL_get_error(c.ssl, r);
        if (err == SSL_ERROR_WANT_READ) return want(c, EPOLLIN);
        if (err == SSL_ERROR_WANT_WRITE) return want(c, EPOLLOUT);
        return close_conn(c, false);
      }
      c.phase = Phase::kRequest;
      c.peer = peer_of(c.fd);
      c.last_io = Clock::now();
      set_deadline(c, c.last_io, o.read_timeout_ms, CloseReason::kRequestDeadline);
    }
    for (;;) {
      if (c.out_off < c.out.size()) {
        const Io w = flush(c);
        if (w == kDead) return close_conn(c, false);
        if (w != kDone) return want(c, w == kWaitWrite ? EPOLLOUT : EPOLLIN);
        c.out_off = 0;
        c.out.clear();
        if (c.out.capacity() > 4 * InBuffer::kChunk) c.out.shrink_to_fit();
      }
      if (c.answered) {
        c.answered = false;
        c.continue_sent = false;
        c.phase = Phase::kRequest;
        if (c.refused) return linger(c);
        if (c.close_after) return close_conn(c, true);
        c.served = true;
        set_deadline(c, Clock::now(), o.idle_timeout_ms, CloseReason::kIdle);
      }
      if (c.in.pending() > 0) {
        if (!c.busy) {
          if (!owner_.table_.begin_request(c.fd)) return close_conn(c, false);  // shutdown claimed it
          c.busy = true;
        }
        if (!c.request_started) {
          c.request_started = true;
          set_deadline(c, Clock::now(), o.read_timeout_ms, CloseReason::kRequestDeadline);
        }
        const RequestFrame f = c.scanner.next(c.in.view(), limits_);
        if (f.kind == RequestFrame::kComplete) {
          c.request_started = false;
          c.phase = Phase::kAnswer;
          set_deadline(c, Clock::now(), o.write_timeout_ms, CloseReason::kWriteDeadline);
          if (f.length > o.offload_bytes) return offload(c, f);
          serve(c, f);
          continue;
        }
        if (f.kind == RequestFrame::kRefuse) {
          owner_.handlers_.refuse(f.status, f.reason, c.out);
          c.answered = c.close_after = c.refused = true;
          c.phase = Phase::kAnswer;
          set_deadline(c, Clock::now(), o.write_timeout_ms, CloseReason::kWriteDeadline);
          continue;
        }
        if (f.expect_continue && !c.continue_sent) {
          c.out.append(kContinue);
          c.continue_sent = true;
          continue;
        }
      } else if (c.busy) {
        // The answer is out and nothing of a next request has arrived.
        c.busy = false;
        owner_.table_.end_request(c.fd);
        c.in.trim();
      }
      const Io r = read_some(c);
      if (r == kDead) return close_conn(c, false);  // peer gone; a partial request dies with it
      if (r == kDone) continue;
      if (r == kWaitRead && !c.served) {
        // Not one request served yet (a new connection, or a silent or trickling client):
        // waiting costs no record buffers. Served connections keep theirs (the apiserver's next
        // review needs them) until they have been quiet for kQuiet.
        SSL_free_buffers(c.ssl);
        c.in.shrink();
      }
      return want(c, r == kWaitRead ? EPOLLIN : EPOLLOUT);
    }
  }

  /// Serves a large request on a helper thread; the connection leaves the epoll set (and the
  /// deadline sweep) until offload_done brings it back to drive().
  void offload(Conn& c, const RequestFrame& f) {
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    c.interest = 0;
    c.offloaded = true;
    Conn* conn = &c;
    owner_.offload([this, conn, f] {
      serve(*conn, f);
      offload_done(conn);
    });
  }

  void sweep(Clock::time_point now) {
    for (std::size_t i = conns_.size(); i-- > 0;) {
      if (i >= conns_.size()) continue;
      Conn& c = *conns_[i];
      if (c.offloaded) continue;
      if (c.deadline <= now) {
        if (c.phase == Phase::kLinger) {
          count(CloseReason::kRefused);
        } else {
          count(c.on_deadline);
        }
        close_conn(c, false);
        continue;
      }
      // Quiet for a while (an idle keep-alive connection, a silent or trickling client): give
      // back OpenSSL's record buffers (~34 KiB; SSL_free_buffers keeps any it still needs) and
      // the read buffer beyond the bytes it holds.
      if (!c.quiet && c.ssl && c.phase != Phase::kHandshake && c.out.empty() && now - c.last_io >= kQuiet) {
        SSL_free_buffers(c.ssl);
        c.in.shrink();
        c.out.shrink_to_fit();
        c.quiet = true;
      }
    }
    // After a wave of connections (housekeeping below): this thread's cached small blocks go
    // back to malloc first, so that the malloc_trim that follows can return their pages.
    const std::uint64_t epoch = owner_.trim_epoch_.load(std::memory_order_relaxed);
    if (epoch != trim_epoch_seen_) {
      trim_epoch_seen_ = epoch;
      if (gopreflight_thread_cache_flush) gopreflight_thread_cache_flush();
      if (conns_.empty()) conns_.shrink_to_fit();
    }
    if (index_ == 0) owner_.housekeeping(now);
  }

  EventLoops& owner_;
  int index_;
  std::uint64_t trim_epoch_seen_ = 0;
  FrameLimits limits_;
  int ep_ = -1, wake_ = -1;
  std::mutex inbox_mu_;
  std::vector<Queued> inbox_;
  std::vector<void*> returned_;  ///< offloaded connections coming back (guarded by inbox_mu_)
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Conn>> conns_;
};

EventLoops::EventLoops(const LoopOptions& opts, SSL_CTX* ctx, ConnectionTable& table, HttpHandlers handlers,
                       LoopGauges gauges)
    : opts_(opts), ctx_(ctx), table_(table), handlers_(std::move(handlers)), gauges_(gauges) {
  const int n = std::max(1, opts_.threads);
  for (int i = 0; i < n; ++i) loops_.push_back(std::make_unique<Loop>(*this, i));
  for (auto& l : loops_) {
    Loop* loop = l.get();
    threads_.emplace_back([loop] { loop->run(); });
  }
  for (int i = 0; i < std::max(1, opts_.offload_threads); ++i) {
    helpers_.emplace_back([this] {
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock(jobs_mu_);
          jobs_cv_.wait(lock, [this] { return helpers_stop_ || !jobs_.empty(); });
          if (jobs_.empty()) return;
          job = std::move(jobs_.front());
          jobs_.pop_front();
        }
        job();
      }
    });
  }
}

void EventLoops::offload(std::function<void()> job) {
  {
    std::lock_guard lock(jobs_mu_);
    jobs_.push_back(std::move(job));
  }
  jobs_cv_.notify_one();
}

EventLoops::~EventLoops() {
  if (!threads_.empty()) stop_and_wait();
}

void EventLoops::adopt(int sock) {
  const auto now = Clock::now();
  int dropped = -1;
  bool queued = false;
  {
    std::lock_guard lock(queue_mu_);
    if (open_ >= opts_.max_connections) {
      if (queue_.size() >= std::max<std::size_t>(opts_.max_queued, 1)) {
        dropped = queue_.front().sock;  // the oldest waiter makes room for the newest
        queue_.pop_front();
        --gauges_.queued;
      }
      queue_.push_back({sock, now});
      ++gauges_.queued;
      queued = true;
    } else {
      ++open_;
    }
  }
  if (dropped >= 0) {
    ::close(dropped);
    if (gauges_.closed) gauges_.closed[static_cast<int>(CloseReason::kQueueFull)].fetch_add(1);
  }
  if (queued) return;
  ++gauges_.open;
  loops_[next_.fetch_add(1) % loops_.size()]->give(sock, now);
}

bool EventLoops::release_slot(int& sock, Clock::time_point& accepted) {
  const auto deadline = Clock::now() - std::chrono::milliseconds(opts_.handshake_timeout_ms);
  std::vector<int> expired;
  bool got = false;
  {
    std::lock_guard lock(queue_mu_);
    while (!queue_.empty()) {
      const Queued q = queue_.front();
      queue_.pop_front();
      --gauges_.queued;
      if (q.accepted <= deadline) {
        expired.push_back(q.sock);
        continue;
      }
      sock = q.sock;
      accepted = q.accepted;
      got = true;
      break;
    }
    if (!got) --open_;
  }
  for (int s : expired) ::close(s);
  if (gauges_.closed) gauges_.closed[static_cast<int>(CloseReason::kQueueDeadline)].fetch_add(expired.size());
  return got;
}

void EventLoops::housekeeping(Clock::time_point now) {
  // Queued sockets past the handshake deadline: closed (their client gave up or will).
  const auto deadline = now - std::chrono::milliseconds(opts_.handshake_timeout_ms);
  std::vector<int> expired;
  {
    std::lock_guard lock(queue_mu_);
    while (!queue_.empty() && queue_.front().accepted <= deadline) {
      expired.push_back(queue_.front().sock);
      queue_.pop_front();
      --gauges_.queued;
    }
    if (queue_.empty()) queue_.shrink_to_fit();
  }
  for (int s : expired) ::close(s);
  if (gauges_.closed) gauges_.closed[static_cast<int>(CloseReason::kQueueDeadline)].fetch_add(expired.size());
  // After a wave of connections has gone (a quarter of the peak left), give the heap's free
  // memory back to the system: glibc keeps it in its arenas otherwise.
  // The loops flush their block caches at their next sweep (within kSweepMs), then trim.
  const long long open = gauges_.open.load();
  trim_peak_ = std::max(trim_peak_, open);
  if (trim_peak_ >= 128 && open <= trim_peak_ / 4) {
    trim_epoch_.fetch_add(1, std::memory_order_relaxed);
    trim_at_ = now + std::chrono::milliseconds(2 * kSweepMs);
    trim_peak_ = open;
  }
  if (trim_at_ && now >= *trim_at_) {
    ::malloc_trim(0);
    trim_at_.reset();
  }
}

void EventLoops::stop_and_wait() {
  {
    std::lock_guard lock(queue_mu_);
    for (const Queued& q : queue_) ::close(q.sock);
    gauges_.queued -= static_cast<long long>(queue_.size());
    queue_.clear();
  }
  for (auto& l : loops_) l->stop();
  for (auto& t : threads_) t.join();  // a loop ends only after its offloaded connections returned
  threads_.clear();
  {
    std::lock_guard lock(jobs_mu_);
    helpers_stop_ = true;
  }
  jobs_cv_.notify_all();
  for (auto& t : helpers_) t.join();
  helpers_.clear();
}

std::string_view close_reason_name(CloseReason r) {
  switch (r) {
    case CloseReason::kHandshakeDeadline: return "handshake_deadline";
    case CloseReason::kRequestDeadline: return "request_deadline";
    case CloseReason::kWriteDeadline: return "write_deadline";
    case CloseReason::kIdle: return "idle";
    case CloseReason::kQueueFull: return "queue_full";
    case CloseReason::kQueueDeadline: return "queue_deadline";
    case CloseReason::kRefused: return "refused";
    case CloseReason::kCount: break;
  }
  return "other";
}

int default_loop_threads() {
  int n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  // cgroup v2: "max 100000" (no quota) or "<quota> <period>".
  std::ifstream f("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long long period = 0;
  if (f >> quota >> period && quota != "max" && period > 0) {
    char* end = nullptr;
    const long long q = std::strtoll(quota.c_str(), &end, 10);
    if (end && *end == '\0' && q > 0) {
      const long long cpus = (q + period - 1) / period;
      if (cpus < n) n = static_cast<int>(cpus);
    }
  }
  return std::clamp(n * kLoopsPerCpu, 2, 128);
}

}  // namespace gopreflight::webhook::server
