// Durations (see duration.hpp).
#include "gopreflight/common/duration.hpp"

#include <cmath>
#include <cstdint>
#include <exception>
#include <stdexcept>

namespace gopreflight::common {

Result<std::chrono::milliseconds> parse_duration(std::string_view text, std::chrono::milliseconds max) {
  const std::string orig(text.substr(0, 64));
  if (text.empty()) return fail("duration is empty (use e.g. \"2s\", \"500ms\", \"1m\")");
  const double max_ms = static_cast<double>(max.count());
  double total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.')) ++j;
    if (j == i) {
      return fail("duration \"" + orig + "\": expected a number at \"" + std::string(text.substr(i, 32)) + "\"");
    }
    const std::string num(text.substr(i, j - i));
    double v = 0;
    try {
      std::size_t used = 0;
      v = std::stod(num, &used);
      if (used != num.size()) throw std::invalid_argument(num);
    } catch (const std::exception&) {
      return fail("duration \"" + orig + "\": \"" + num + "\" is not a number");
    }
    std::size_t k = j;
    while (k < text.size() && text[k] >= 'a' && text[k] <= 'z') ++k;
    const auto unit = text.substr(j, k - j);
    double mult = 0;
    if (unit == "ms") {
      mult = 1;
    } else if (unit == "s") {
      mult = 1000;
    } else if (unit == "m") {
      mult = 60'000;
    } else if (unit == "h") {
      mult = 3'600'000;
    } else if (unit.empty()) {
      return fail("duration \"" + orig + "\": missing unit after " + num + " (ms, s, m or h)");
    } else {
      return fail("duration \"" + orig + "\": unknown unit \"" + std::string(unit.substr(0, 16)) + "\" (ms, s, m or h)");
    }
    total_ms += v * mult;
    if (total_ms > max_ms) return fail("duration \"" + orig + "\" is longer than " + format_duration(max));
    i = k;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total_ms)));
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace gopreflight::common
