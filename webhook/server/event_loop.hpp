#pragma once
// The server's connection handling: a few threads, each running an epoll loop over many TLS
// connections, instead of one thread per connection.
//
// Why: with a thread per connection, every request wakes a sleeping thread (a context switch
// and a poll() per request) and the 32+ threads of a loaded server evict each other's caches;
// the benchmark's profile put a quarter of the server's CPU there. A loop thread that finds
// several connections ready at once serves them back to back without sleeping.
//
// Per connection: a non-blocking TLS handshake, then received plaintext is buffered until it
// holds one complete request (frame_request), which httplib parses and routes from memory
// (BufferStream); the answer is written without blocking, and the next request is read only
// when the answer is out (no unbounded buffering for a client that does not read).
// Timeouts: handshake and each silent gap inside a request: --read-timeout; an answer that
// makes no progress: --write-timeout; idle between requests: --keep-alive-timeout. A slow
// client costs a connection slot and its buffer, never a thread.
#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "connection_table.hpp"

namespace gopreflight::webhook::server {

/// httplib::Stream over one buffered request: reads end at the request's last byte (so httplib
/// can never wait for, or consume, the next one); writes append to the connection's output.
class BufferStream final : public httplib::Stream {
 public:
  struct Peer {
    std::string remote_ip, local_ip;
    int remote_port = -1, local_port = -1;
  };
  BufferStream(std::string_view request, std::string& out, const Peer& peer, int sock)
      : in_(request), out_(out), peer_(peer), sock_(sock) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, std::size_t size) override;
  ssize_t write(const char* ptr, std::size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return sock_; }
  /// Bytes httplib read.
  std::size_t consumed() const { return pos_; }
  /// The whole request, for a handler that reads it itself; it then calls consume_all().
  std::string_view request() const { return in_; }
  void consume_all() { pos_ = in_.size(); }
  const Peer& peer() const { return peer_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  std::string& out_;
  const Peer& peer_;
  int sock_;
};

struct LoopOptions {
  int threads = 16;                   ///< event-loop threads
  std::size_t max_connections = 512;  ///< open at once; later ones wait (accepted, not served)
  int read_timeout_ms = 10000;
  int write_timeout_ms = 10000;
  int idle_timeout_ms = 120000;
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_body_bytes = 3 * 1024 * 1024;
  /// Requests larger than this are answered on a helper thread, so that a multi-MiB review
  /// (up to ~100 ms of engine time) does not hold up the other connections of its loop.
  std::size_t offload_bytes = 64 * 1024;
  int offload_threads = 2;
};

/// Serves one complete request from `strm`; sets `close` when the connection must end after
/// the answer. False: the answer could not be produced (the connection is closed).
using RequestHandler = std::function<bool(BufferStream& strm, SSL* ssl, bool& close)>;

/// Counters the loops keep current (the /metrics gauges).
struct LoopGauges {
  std::atomic<long long>& open;    ///< connections being served
  std::atomic<long long>& queued;  ///< accepted, waiting for a slot (over max_connections)
};

class EventLoops {
 public:
  /// Starts the threads. Throws std::runtime_error when epoll or eventfd cannot be set up.
  EventLoops(const LoopOptions& opts, SSL_CTX* ctx, ConnectionTable& table, RequestHandler handler,
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
  /// false (the slot is free again).
  bool release_slot(int& sock);

  LoopOptions opts_;
  SSL_CTX* ctx_;
  ConnectionTable& table_;
  RequestHandler handler_;
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
  std::vector<int> queue_;  ///< FIFO of sockets over the connection limit (front = oldest)
  std::size_t queue_head_ = 0;
  std::size_t open_ = 0;  ///< guarded by queue_mu_
};

/// Loops per CPU by default. One loop per CPU is the textbook choice, but a loop whose thread is
/// preempted stalls all of its connections: in the benchmark (wrk on the same 2 CPUs) 2 loops
/// gave a p99 of 130-230 ms, 16 loops 7-11 ms with the lowest CPU per review, and 32 loops (one
/// connection each) the cost of a thread per connection again (README "Benchmark").
constexpr int kLoopsPerCpu = 8;

/// Threads to run by default: kLoopsPerCpu times the CPUs this process may use (affinity mask,
/// lowered to the cgroup v2 CPU quota `cpu.max`, rounded up, when one is set); 2 to 128.
int default_loop_threads();

}  // namespace gopreflight::webhook::server
