// Event-loop connection handling (see event_loop.hpp).
#include "event_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <sched.h>
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

namespace gopreflight::webhook::server {

using Clock = std::chrono::steady_clock;

ssize_t BufferStream::read(char* ptr, std::size_t size) {
  const std::size_t k = std::min(size, in_.size() - pos_);
  std::memcpy(ptr, in_.data() + pos_, k);
  pos_ += k;
  return static_cast<ssize_t>(k);
}

ssize_t BufferStream::write(const char* ptr, std::size_t size) {
  out_.append(ptr, size);
  return static_cast<ssize_t>(size);
}

void BufferStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = peer_.remote_ip;
  port = peer_.remote_port;
}

void BufferStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = peer_.local_ip;
  port = peer_.local_port;
}

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

BufferStream::Peer peer_of(int sock) {
  BufferStream::Peer p;
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
  /// At least kChunk free bytes after len (moving pending bytes to the front first).
  void make_room() {
    if (off > 0 && (off == len || cap - len < kChunk)) {
      std::memmove(data.get(), data.get() + off, len - off);
      len -= off;
      off = 0;
    }
    if (cap - len >= kChunk) return;
    const std::size_t ncap = std::max(cap * 2, len + kChunk);
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
    if (cap > 4 * kChunk && pending() == 0) {
      data.reset();
      cap = off = len = 0;
    }
  }
};

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr int kSweepMs = 250;  ///< how often deadlines are checked

}  // namespace

class EventLoops::Loop {
 public:
  explicit Loop(EventLoops& owner) : owner_(owner) {
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
  }
  ~Loop() {
    if (wake_ >= 0) ::close(wake_);
    if (ep_ >= 0) ::close(ep_);
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// From any thread.
  void give(int sock) {
    {
      std::lock_guard lock(inbox_mu_);
      inbox_.push_back(sock);
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
  struct Conn {
    int fd = -1;
    SSL* ssl = nullptr;
    std::size_t slot = 0;  ///< index in conns_
    bool handshaken = false;
    bool busy = false;           ///< inside a request (ConnectionTable kBusy)
    bool answered = false;       ///< out holds the answer to the request just served
    bool close_after = false;    ///< close once out is sent
    bool continue_sent = false;  ///< 100 Continue already sent for the current request
    bool offloaded = false;      ///< a helper thread owns it (out of the epoll set) until it returns
    std::uint32_t interest = 0;
    Clock::time_point deadline;
    InBuffer in;
    std::string out;
    std::size_t out_off = 0;
    BufferStream::Peer peer;
  };

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t r = ::write(wake_, &one, sizeof one);
  }

  void take_inbox() {
    std::uint64_t v = 0;
    [[maybe_unused]] const ssize_t r = ::read(wake_, &v, sizeof v);
    std::vector<int> socks;
    std::vector<void*> back;
    {
      std::lock_guard lock(inbox_mu_);
      socks.swap(inbox_);
      back.swap(returned_);
    }
    for (int s : socks) open_conn(s);
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

  void open_conn(int sock) {
    const int flags = ::fcntl(sock, F_GETFL, 0);
    if (flags >= 0) ::fcntl(sock, F_SETFL, flags | O_NONBLOCK);
    owner_.table_.opened(sock);
    auto c = std::make_unique<Conn>();
    c->fd = sock;
    c->ssl = SSL_new(owner_.ctx_);
    c->deadline = Clock::now() + std::chrono::milliseconds(owner_.opts_.read_timeout_ms);
    c->slot = conns_.size();
    Conn& ref = *c;
    conns_.push_back(std::move(c));
    if (!ref.ssl || SSL_set_fd(ref.ssl, sock) != 1) {
      close_conn(ref, false);
      return;
    }
    SSL_set_accept_state(ref.ssl);
    // Partial writes: a large answer goes out as the socket takes it, from a buffer that may
    // move between calls (out is appended to only when empty, but std::string may reallocate).
    SSL_set_mode(ref.ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &ref;
    if (::epoll_ctl(ep_, EPOLL_CTL_ADD, sock, &ev) != 0) {
      close_conn(ref, false);
      return;
    }
    ref.interest = EPOLLIN;
    drive(ref);
  }

  void want(Conn& c, std::uint32_t events) {
    if (c.interest == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &c;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.interest = events;
  }

  /// Ends the connection. `polite`: the answer went out and the connection ends by our choice
  /// (Connection: close): send TLS close_notify first.
  void close_conn(Conn& c, bool polite) {
    const int fd = c.fd;
    ERR_clear_error();  // this thread's OpenSSL error queue serves its other connections too
    if (c.ssl) {
      if (polite && c.handshaken) SSL_shutdown(c.ssl);  // one non-blocking attempt
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
    if (owner_.release_slot(next)) {
      open_conn(next);
    } else {
      --owner_.gauges_.open;
    }
  }

  enum Io { kDone, kWaitRead, kWaitWrite, kDead };

  /// Sends what is buffered, as far as the socket takes it.
  Io flush(Conn& c, bool& progress) {
    while (c.out_off < c.out.size()) {
      const int n = static_cast<int>(std::min<std::size_t>(c.out.size() - c.out_off, INT_MAX));
      const int r = SSL_write(c.ssl, c.out.data() + c.out_off, n);
      if (r > 0) {
        c.out_off += static_cast<std::size_t>(r);
        progress = true;
        continue;
      }
      const int err = SSL_get_error(c.ssl, r);
      if (err == SSL_ERROR_WANT_WRITE) return kWaitWrite;
      if (err == SSL_ERROR_WANT_READ) return kWaitRead;  // TLS wants the peer's bytes first
      return kDead;
    }
    return kDone;
  }

  /// Reads what the socket has (up to the framing limits): kDone when bytes arrived, else what
  /// to wait for, or kDead (the peer closed or the connection failed).
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
      if (err == SSL_ERROR_WANT_READ) return got ? kDone : kWaitRead;
      if (err == SSL_ERROR_WANT_WRITE) return got ? kDone : kWaitWrite;
      // Closed or failed. Bytes read before it are served first: the next read reports it again.
      ERR_clear_error();
      return got ? kDone : kDead;
    }
    return got ? kDone : kDead;  // a request longer than the limits allow
  }

  /// One buffered request: httplib parses and answers it into c.out.
  void serve(Conn& c, const RequestFrame& f) {
    const std::string_view request = c.in.view().substr(0, f.length);
    BufferStream strm(request, c.out, c.peer, c.fd);
    bool close = f.kind == RequestFrame::kClose;
    bool ok = false;
    try {
      ok = owner_.handler_(strm, c.ssl, close);
    } catch (...) {
      ok = false;
    }
    // httplib stopped short of the frame: where the next request starts is unknown.
    if (!ok || strm.consumed() != f.length) close = true;
    c.in.consume(f.length);
    c.answered = true;
    c.close_after = close;
  }

  /// Does all that can be done without waiting, then waits for the right event.
  void drive(Conn& c) {
    const auto& o = owner_.opts_;
    if (!c.handshaken) {
      const int r = SSL_accept(c.ssl);
      if (r != 1) {
        const int err = SSL_get_error(c.ssl, r);
        if (err == SSL_ERROR_WANT_READ) return want(c, EPOLLIN);
        if (err == SSL_ERROR_WANT_WRITE) return want(c, EPOLLOUT);
        return close_conn(c, false);
      }
      c.handshaken = true;
      c.peer = peer_of(c.fd);
      c.deadline = Clock::now() + std::chrono::milliseconds(o.idle_timeout_ms);
    }
    bool progress = false;
    for (;;) {
      if (c.out_off < c.out.size()) {
        const Io w = flush(c, progress);
        if (w == kDead) return close_conn(c, false);
        if (w != kDone) {
          if (progress) c.deadline = Clock::now() + std::chrono::milliseconds(o.write_timeout_ms);
          return want(c, w == kWaitWrite ? EPOLLOUT : EPOLLIN);
        }
        c.out_off = 0;
        c.out.clear();
        if (c.out.capacity() > 4 * InBuffer::kChunk) c.out.shrink_to_fit();
      }
      if (c.answered) {
        c.answered = false;
        c.continue_sent = false;
        if (c.close_after) return close_conn(c, true);
      }
      if (c.in.pending() > 0) {
        if (!c.busy) {
          if (!owner_.table_.begin_request(c.fd)) return close_conn(c, false);  // shutdown claimed it
          c.busy = true;
        }
        const RequestFrame f = frame_request(c.in.view(), o.max_header_bytes, o.max_body_bytes);
        if (f.kind != RequestFrame::kIncomplete) {
          if (f.length > o.offload_bytes) return offload(c, f);
          serve(c, f);
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
        c.deadline = Clock::now() + std::chrono::milliseconds(o.idle_timeout_ms);
      }
      const Io r = read_some(c);
      if (r == kDead) return close_conn(c, false);  // peer gone; a partial request dies with it
      if (r == kDone) {
        c.deadline = Clock::now() + std::chrono::milliseconds(o.read_timeout_ms);
        continue;
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
      if (i < conns_.size() && !conns_[i]->offloaded && conns_[i]->deadline <= now) close_conn(*conns_[i], false);
    }
  }

  EventLoops& owner_;
  int ep_ = -1, wake_ = -1;
  std::mutex inbox_mu_;
  std::vector<int> inbox_;
  std::vector<void*> returned_;  ///< offloaded connections coming back (guarded by inbox_mu_)
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Conn>> conns_;
};

EventLoops::EventLoops(const LoopOptions& opts, SSL_CTX* ctx, ConnectionTable& table, RequestHandler handler,
                       LoopGauges gauges)
    : opts_(opts), ctx_(ctx), table_(table), handler_(std::move(handler)), gauges_(gauges) {
  const int n = std::max(1, opts_.threads);
  for (int i = 0; i < n; ++i) loops_.push_back(std::make_unique<Loop>(*this));
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
  {
    std::lock_guard lock(queue_mu_);
    if (open_ >= opts_.max_connections) {
      queue_.push_back(sock);
      ++gauges_.queued;
      return;
    }
    ++open_;
  }
  ++gauges_.open;
  loops_[next_.fetch_add(1) % loops_.size()]->give(sock);
}

bool EventLoops::release_slot(int& sock) {
  std::lock_guard lock(queue_mu_);
  if (queue_head_ < queue_.size()) {
    sock = queue_[queue_head_++];
    if (queue_head_ == queue_.size()) {
      queue_.clear();
      queue_head_ = 0;
    }
    --gauges_.queued;
    return true;
  }
  --open_;
  return false;
}

void EventLoops::stop_and_wait() {
  {
    std::lock_guard lock(queue_mu_);
    for (std::size_t i = queue_head_; i < queue_.size(); ++i) ::close(queue_[i]);
    gauges_.queued -= static_cast<long long>(queue_.size() - queue_head_);
    queue_.clear();
    queue_head_ = 0;
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
