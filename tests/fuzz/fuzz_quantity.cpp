// Kubernetes quantities and GOMEMLIMIT values: parse, convert, render, never crash or overflow (UBSan).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gopreflight/webhook/quantity.hpp"

using namespace gopreflight::webhook;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  const auto q = parse_quantity(s);
  if (q) {
    const auto v = (*q).value();
    const auto m = (*q).milli_value();
    if (!v && v.error().empty()) std::abort();
    if (!m && m.error().empty()) std::abort();
    if (v && *v > 0) {
      const auto rec = recommend_gomemlimit(*v, 0.9);
      const auto back = parse_gomemlimit(rec);
      if (!back || (*back).off || (*back).bytes >= *v) std::abort();  // never at or above the limit
    }
  } else if (q.error().empty()) {
    std::abort();
  }
  const auto g = parse_gomemlimit(s);
  if (g) {
    if (!(*g).off) {
      if ((*g).bytes < 0) std::abort();
      const auto again = parse_gomemlimit(format_go_bytes((*g).bytes));
      if (!again || (*again).bytes != (*g).bytes) std::abort();  // rendering round-trips
    }
  } else if (g.error().empty()) {
    std::abort();
  }
  return 0;
}
