#pragma once
// The server's connection handling: a few threads, each running an epoll loop over many TLS
// connections, instead of one thread per connection.
//
// Why: with a thread per connection, every request wakes a sleeping thread (a context switch
// and a poll() per request) and the 32+ threads of a loaded server evict each other's caches;
// the benchmark's profile put a quarter of the server's CPU there. A loop thread that finds
// several connections ready at once serves them back to back without sleeping.
//
// Per connection: the socket waits in epoll with no TLS state until its first bytes arrive; then a
// non-blocking TLS handshake; then received plaintext is buffered until the framing
// (http_framing.hpp, the only request parser) accepts one whole request, which the handler
// answers from memory, or refuses it (the refusal is sent and the connection closed). The next
// request is read only when the answer is out (no unbounded buffering for a client that does
// not read).
// Deadlines, never reset by a trickle of bytes: the handshake (from accept, time in the queue
// included); each request, from its first byte to its last (--read-timeout); the first request
// after the handshake (--read-timeout); each answer (--write-timeout); the idle time between
// requests (--keep-alive-timeout). A connection quiet for a second gives its TLS and read
// buffers back. A slow client costs a connection slot and a few KiB, never a thread.
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "connection_table.hpp"

namespace gopreflight::webhook::server {

/// The two ends of a connection, for logs.
struct Peer {
  std::string remote_ip, local_ip;
  int remote_port = -1, local_port = -1;
};

struct LoopOptions {
  int threads = 16;                    ///< event-loop threads
  std::size_t max_connections = 4096;  ///< open at once; later ones wait (accepted, not served)
  std::size_t max_queued = 4096;       ///< waiting at most; when full the oldest is closed
  int handshake_timeout_ms = 5000;     ///< accept (queue time included) to handshake done
  int read_timeout_ms = 10000;         ///< a request's first byte to its last; handshake to first request
  int write_timeout_ms = 10000;        ///< a whole answer
  int idle_timeout_ms = 120000;        ///< between requests
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 3 * 1024 * 1024;
  /// Requests larger than this are answered on a helper thread, so that a multi-MiB review
  /// (up to ~100 ms of engine time) does not hold up the other connections of its loop.
  std::size_t offload_bytes = 64 * 1024;
  int offload_threads = 2;
  /// The most bytes requests over offload_bytes may hold at once, from their headers until
  /// they are answered (at least two bodies of max_body_bytes); a request beyond it gets 503.
  std::size_t large_budget_bytes = 32 * 1024 * 1024;
};

struct HttpRequest;

/// What the loops call to answer. Both append a whole HTTP/1.1 response to `out`.
struct HttpHandlers {
  /// A request the framing accepted; sets `close` when the connection must end after it (it
  /// comes in set for `Connection: close`). Must not throw.
  std::function<void(const HttpRequest& req, const Peer& peer, std::string& out, bool& close)> serve;
  /// A refusal from the framing: `status` and what was wrong; the connection closes after it.
  std::function<void(int status, std::string_view reason, std::string& out)> refuse;
};

/// Why the server ended a connection itself (the /metrics counter's reason label).
enum class CloseReason : int {
  kHandshakeDeadline,  ///< no finished TLS handshake within the handshake timeout
  kRequestDeadline,    ///< a request (or the first one) not complete within --read-timeout
  kWriteDeadline,      ///< an answer not taken by the client within --write-timeout
  kIdle,               ///< keep-alive connection idle for --keep-alive-timeout
  kQueueFull,          ///< the wait queue was full: its oldest socket was closed
  kQueueDeadline,      ///< waited in the queue past the handshake timeout
  kRefused,            ///< the framing refused a request (after its 4xx)
  kEvicted,            ///< connections waited in the queue: a silent one (no request yet) made room
  kCount
};
std::string_view close_reason_name(CloseReason r);

/// Counters the loops keep current (the /metrics gauges).
struct LoopGauges {
  std::atomic<long long>& open;    ///< connections being served
  std::atomic<long long>& queued;  ///< accepted, waiting for a slot (over max_connections)
  /// Connections ended by the server, by CloseReason.
  std::atomic<unsigned long long>* closed = nullptr;
};

class EventLoops {
 public:
  /// Starts the threads. Throws std::runtime_error when epoll or eventfd cannot be set up.
  EventLoops(const LoopOptions& opts, SSL_CTX* ctx, ConnectionTable& table, HttpHandlers handlers,
             LoopGauges gauges);
  ~EventLoops();
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  /// Takes an accepted socket (called by the accept thread).
  void adopt(int sock);
  /// No more sockets; returns once every connection has ended (idle ones are ended by
  /// ConnectionTable::close_idle, called by the shutdown path). Queued sockets are closed.
  void stop_and_wait();

  class Loop;  // one thread's epoll loop (event_loop.cpp)

 private:
  friend class Loop;
  /// A loop ended a connection: true with the oldest queued socket to serve in its place, or
  /// false (the slot is free again). Queued sockets past the handshake deadline are closed.
  bool release_slot(int& sock, std::chrono::steady_clock::time_point& accepted);
  /// Takes `bytes` of the large-request budget; false when it would go over.
  bool reserve(std::size_t bytes);
  std::atomic<std::size_t> large_bytes_{0};
  /// From loop 0's sweep: closes queued sockets past the handshake deadline; malloc_trim after
  /// a wave of connections has gone.
  void housekeeping(std::chrono::steady_clock::time_point now);
  long long trim_peak_ = 0;  ///< loop 0 only
  std::optional<std::chrono::steady_clock::time_point> trim_at_;  ///< loop 0 only
  std::atomic<std::uint64_t> trim_epoch_{0};  ///< bumped after a wave: each loop flushes its caches

  LoopOptions opts_;
  SSL_CTX* ctx_;
  ConnectionTable& table_;
  HttpHandlers handlers_;
  LoopGauges gauges_;
  /// Runs a job on a helper thread (large requests, see LoopOptions::offload_bytes).
  void offload(std::function<void()> job);

  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::vector<std::thread> helpers_;
  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<std::function<void()>> jobs_;
  bool helpers_stop_ = false;
  std::atomic<std::size_t> next_{0};
  std::mutex queue_mu_;
  struct Queued {
    int sock;
    std::chrono::steady_clock::time_point accepted;
  };
  std::deque<Queued> queue_;  ///< FIFO of sockets over the connection limit (front = oldest)
  std::size_t open_ = 0;  ///< guarded by queue_mu_
};

/// Loops per CPU by default. One loop per CPU is the textbook choice, but a loop whose thread is
/// preempted stalls all of its connections: in the benchmark (wrk on the same 2 CPUs) 2 loops
/// gave a p99 of 130-230 ms, 16 loops 7-11 ms with the lowest CPU per review, and 32 loops (one
/// connection each) the cost of a thread per connection again (docs/development.md, "Webhook server:
/// tests and benchmark").
constexpr int kLoopsPerCpu = 8;

/// Threads to run by default: kLoopsPerCpu times the CPUs this process may use (affinity mask,
/// lowered to the cgroup v2 CPU quota `cpu.max`, rounded up, when one is set); 2 to 128.
int default_loop_threads();

}  // namespace gopreflight::webhook::server
