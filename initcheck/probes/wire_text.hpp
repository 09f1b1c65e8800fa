#pragma once
/// Small text helpers shared by the probe sources (internal).
#include <cstddef>
#include <string>
#include <string_view>

namespace gopreflight::initcheck::probe_detail {

/// Bytes as printable ASCII (\r, \n, \xNN escapes), cut at `max` with "...".
std::string printable(std::string_view bytes, std::size_t max);

/// "'H' (0x48)" or "0x00".
std::string describe_byte(char c);

}  // namespace gopreflight::initcheck::probe_detail
