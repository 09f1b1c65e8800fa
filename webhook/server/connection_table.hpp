#pragma once
// The table of open connections the shutdown path uses to close the idle ones.
#include <atomic>
#include <cstddef>
#include <memory>

namespace gopreflight::webhook::server {

/// State of every open connection by file descriptor, so shutdown can close the idle ones
/// without touching one that is between reading a request and writing its response.
class ConnectionTable {
 public:
  enum State : unsigned char { kNone = 0, kIdle = 1, kBusy = 2, kClosing = 3 };
  /// Sized from RLIMIT_NOFILE (at most 1 Mi entries); descriptors beyond it are never closed
  /// early (they end at their keep-alive timeout or the grace period).
  ConnectionTable();
  void opened(int fd) { set(fd, kIdle); }
  void closed(int fd) { set(fd, kNone); }
  /// Idle -> busy when a request starts; false if shutdown already claimed the connection.
  bool begin_request(int fd);
  void end_request(int fd) { set(fd, kIdle); }
  /// Half-closes (read side) every idle connection that has no unread bytes in the kernel, so
  /// its event loop reads end-of-stream and closes it. Returns how many it closed.
  int close_idle();

 private:
  void set(int fd, State s);
  std::size_t size_;
  std::unique_ptr<std::atomic<unsigned char>[]> state_;
  std::atomic<int> max_fd_{-1};
};

}  // namespace gopreflight::webhook::server
