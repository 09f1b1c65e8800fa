#include <sys/timex.h>

#include <cerrno>
#include <cstring>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck {

/// adjtimex(2) with modes = 0 only reads the kernel's NTP state, so no CAP_SYS_TIME is needed.
Result<ClockReading> SystemClock::adjtimex() const {
  struct timex tx {};
  tx.modes = 0;
  const int state = ::adjtimex(&tx);
  if (state < 0) {
    return fail(std::string("adjtimex(2) read-only call failed: ") + std::strerror(errno));
  }
  ClockReading r;
  r.state = state;
  r.maxerror_us = static_cast<std::int64_t>(tx.maxerror);
  r.esterror_us = static_cast<std::int64_t>(tx.esterror);
  r.status_flags = tx.status;
  // With STA_NANO the kernel reports the offset in nanoseconds, otherwise in microseconds.
  r.offset_ns = (tx.status & STA_NANO) != 0 ? static_cast<std::int64_t>(tx.offset)
                                            : static_cast<std::int64_t>(tx.offset) * 1000;
  return r;
}

}  // namespace gopreflight::initcheck
