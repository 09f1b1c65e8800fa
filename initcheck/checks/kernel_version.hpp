#pragma once
/// Parsing of <procfs>/sys/kernel/osrelease ("6.1.0-18-amd64", "5.15.153.1-microsoft-standard-WSL2").
#include <compare>
#include <string>
#include <string_view>

#include "gopreflight/initcheck/result.hpp"

namespace gopreflight::initcheck::checks {

/// major.minor.patch of a kernel release; missing parts are 0.
struct KernelVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const KernelVersion&) const = default;
  bool operator==(const KernelVersion&) const = default;
};

/// Parses the leading "MAJOR.MINOR[.PATCH]" of a release string; the rest ("-18-amd64", "+") is
/// ignored. Errors name the text that could not be read.
Result<KernelVersion> parse_kernel_release(std::string_view text);

/// "5.4" or "5.4.1": a threshold from the config (`min_version`, `warn_below`).
Result<KernelVersion> parse_version_threshold(std::string_view text);

std::string to_string(const KernelVersion& v);

}  // namespace gopreflight::initcheck::checks
