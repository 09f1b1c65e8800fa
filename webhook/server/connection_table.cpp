// The table of open connections (see connection_table.hpp).
#include "connection_table.hpp"

#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>

namespace gopreflight::webhook::server {

ConnectionTable::ConnectionTable() {
  rlimit rl{};
  rlim_t n = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) n = rl.rlim_cur;
  size_ = static_cast<std::size_t>(std::min<rlim_t>(n, 1u << 20));
  state_.reset(new std::atomic<unsigned char>[size_]);
  for (std::size_t i = 0; i < size_; ++i) state_[i].store(kNone, std::memory_order_relaxed);
}

void ConnectionTable::set(int fd, State s) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= size_) return;
  state_[static_cast<std::size_t>(fd)].store(s);
  int seen = max_fd_.load();
  while (fd > seen && !max_fd_.compare_exchange_weak(seen, fd)) {
  }
}

bool ConnectionTable::begin_request(int fd) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= size_) return true;
  unsigned char expected = kIdle;
  return state_[static_cast<std::size_t>(fd)].compare_exchange_strong(expected, kBusy);
}

int ConnectionTable::close_idle() {
  int closed = 0;
  const int top = max_fd_.load();
  for (int fd = 0; fd <= top; ++fd) {
    auto& s = state_[static_cast<std::size_t>(fd)];
    if (s.load() != kIdle) continue;
    int pending = 0;
    if (::ioctl(fd, FIONREAD, &pending) != 0 || pending != 0) continue;  // a request is arriving
    unsigned char expected = kIdle;
    if (!s.compare_exchange_strong(expected, kClosing)) continue;
    if (::shutdown(fd, SHUT_RD) == 0) ++closed;
  }
  return closed;
}

}  // namespace gopreflight::webhook::server
