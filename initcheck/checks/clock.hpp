#pragma once
/// Pure pieces of clock.sync and clock.source: judging an adjtimex(2) reading and reading the CPU
/// flags line of /proc/cpuinfo.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck::checks {

/// TIME_ERROR, the adjtimex(2) return value for an unsynchronised clock.
inline constexpr int kTimeError = 5;

/// As systemd-timedated decides "NTP synchronized": maxerror below the limit (16 s = 16000000 us
/// by default) and a state other than TIME_ERROR.
bool clock_synchronised(const ClockReading& r, std::int64_t max_error_us);

/// "TIME_OK", "TIME_INS", ..., "TIME_ERROR" or "state N".
std::string clock_state_name(int state);

/// The STA_* bits set, e.g. "STA_PLL|STA_NANO", or "none".
std::string sta_flags(int status);

/// Flags of the first "flags" line of /proc/cpuinfo (x86). Error when there is no such line.
Result<std::vector<std::string>> parse_cpu_flags(std::string_view cpuinfo);

}  // namespace gopreflight::initcheck::checks
