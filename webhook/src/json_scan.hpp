#pragma once
// Scanning JSON string contents, shared by the reader (json_reader.cpp) and the response encoder
// (admission.cpp): both copy runs of plain bytes at once and stop at anything that needs care.
#include <array>
#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gopreflight::webhook {

/// Byte classes inside a string: 0 plain, 1 quote, 2 backslash, 3 control (must be escaped), 4 non-ASCII.
inline constexpr std::array<std::uint8_t, 256> kJsonStringClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (std::size_t c = 0; c < 0x20; ++c) t[c] = 3;
  t['"'] = 1;
  t['\\'] = 2;
  for (std::size_t c = 0x80; c < 0x100; ++c) t[c] = 4;
  return t;
}();

/// The first byte at or after p that is not plain string content (a quote, a backslash, a control
/// character or a non-ASCII byte), or end. Sixteen bytes at a time where SSE2 is available (every
/// x86-64 CPU): a signed compare below 0x20 catches controls and bytes >= 0x80 at once.
inline const char* json_plain_run_end(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                         _mm_cmplt_epi8(v, space));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p < end && kJsonStringClass[static_cast<unsigned char>(*p)] == 0) ++p;
  return p;
}

}  // namespace gopreflight::webhook
