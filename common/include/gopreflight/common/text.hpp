#pragma once
/// Text both programs write: UTF-8 validity, and escaping for JSON strings, XML 1.0 and Prometheus
/// label values. One copy of each; the webhook's JSON reader and response encoder, its review
/// renderers and gopreflight-check's renderers call these.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gopreflight::common {

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

/// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no surrogates,
/// at most U+10FFFF), or 0.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    const unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) return 0;
  }
  return n;
}

/// `s` with every byte that does not start a well-formed UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

/// Appends `v` as a quoted JSON string: quotes, backslashes and control characters escaped, and
/// U+FFFD for bytes that are not valid UTF-8 (the output is always valid JSON).
void append_json_string(std::string& out, std::string_view v);

/// XML 1.0 text or attribute value: & < > " ' as entities, invalid UTF-8 as U+FFFD, and C0
/// controls other than tab, LF and CR (which XML 1.0 cannot carry at all) as '?'.
std::string xml_escape(std::string_view s);

/// A Prometheus label value (text exposition format): backslash, double quote and newline escaped.
std::string prometheus_label_escape(std::string_view s);

}  // namespace gopreflight::common
