// A strict recursive-descent JSON reader that builds nlohmann::json directly. nlohmann's own parser
// goes through a character-at-a-time lexer, a token buffer and a SAX layer; on a 3 KB review that
// is most of the engine's time. Here strings are located with a table scan and copied once, numbers
// are converted from the bytes in place, and members are emplaced straight into their final slot.
#include "gopreflight/webhook/json_reader.hpp"

#include "gopreflight/common/text.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <utility>


namespace gopreflight::webhook {
namespace {

using nlohmann::json;
using common::json_plain_run_end;
using common::kJsonStringClass;
using common::utf8_sequence_length;

inline bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Reader {
 public:
  Reader(std::string_view text, std::size_t max_depth, std::span<const std::string_view> skip)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth), skip_(skip) {}

  bool document(json& out) {
    if (end_ - p_ >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;  // as nlohmann: a BOM is skipped
    if (!value(&out, 0)) return false;
    skip_space();
    if (p_ != end_) return fail("found " + describe() + " after the end of the JSON value");
    return true;
  }

  /// The error with its position (line and column count from 1, bytes from 0).
  std::string error() const {
    if (too_deep_) return error_;
    std::size_t line = 1, column = 1;
    for (const char* q = begin_; q < error_at_; ++q) {
      if (*q == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return "not valid JSON: line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
           std::to_string(error_at_ - begin_) + "): " + error_;
  }

 private:
  bool fail(std::string what) {
    error_ = std::move(what);
    error_at_ = p_;
    return false;
  }

  /// The byte at the cursor, for messages: 'x', byte 0xNN, or "the end of the input".
  std::string describe() const {
    if (p_ >= end_) return "the end of the input";
    const auto c = static_cast<unsigned char>(*p_);
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 0xF];
  }

  void skip_space() {
    while (p_ < end_ && is_space(*p_)) ++p_;
  }

  /// One value into *out; with Keep false the value is checked exactly the same way (same errors,
  /// same nesting limit) but nothing is built, and out is unused.
  template <bool Keep = true>
  bool value(json* out, std::size_t depth) {
    skip_space();
    if (p_ >= end_) return fail("expected a value, found the end of the input");
    switch (*p_) {
      case '{': return object<Keep>(out, depth + 1);
      case '[': return array<Keep>(out, depth + 1);
      case '"':
        if constexpr (Keep) {
          *out = json::string_t();
          auto& text = *out->get_ptr<json::string_t*>();
          return string(text);
        } else {
          return skip_string();
        }
      default:
        if constexpr (Keep) {
          return scalar(*out);
        } else {
          json ignored;  // literals and numbers never allocate
          return scalar(ignored);
        }
    }
  }

  bool scalar(json& out) {
    switch (*p_) {
      case 't': return literal(out, "true", 4, json(true));
      case 'f': return literal(out, "false", 5, json(false));
      case 'n': return literal(out, "null", 4, json(nullptr));
      default:
        if (*p_ == '-' || is_digit(*p_)) return number(out);
        return fail("expected a value, found " + describe());
    }
  }

  bool enter(std::size_t depth) {
    if (depth <= max_depth_) return true;
    too_deep_ = true;
    error_ = "JSON nests deeper than " + std::to_string(max_depth_) + " levels at byte " +
             std::to_string(p_ - begin_) + "; refused without building it";
    error_at_ = p_;
    return false;
  }

  template <bool Keep>
  bool object(json* out, std::size_t depth) {
    if (!enter(depth)) return false;
    ++p_;
    json::object_t* members = nullptr;
    if constexpr (Keep) {
      *out = json(json::value_t::object);
      members = out->get_ptr<json::object_t*>();
    }
    skip_space();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    std::string key;
    for (;;) {
      skip_space();
      if (p_ >= end_ || *p_ != '"') return fail("expected a string as object key, found " + describe());
      if constexpr (Keep) {
        key.clear();
        if (!string(key)) return false;
      } else if (!skip_string()) {
        return false;
      }
      skip_space();
      if (p_ >= end_ || *p_ != ':') return fail("expected ':' after an object key, found " + describe());
      ++p_;
      if constexpr (Keep) {
        if (skipped(key)) {
          if (!value<false>(nullptr, depth)) return false;  // every occurrence is skipped: nothing to replace
        } else {
          // The last of duplicate keys wins, as in nlohmann::json::parse.
          auto [it, inserted] = members->try_emplace(std::move(key));
          if (!inserted) it->second = json();
          if (!value(&it->second, depth)) return false;
        }
      } else if (!value<false>(nullptr, depth)) {
        return false;
      }
      skip_space();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        continue;
      }
      if (p_ < end_ && *p_ == '}') {
        ++p_;
        return true;
      }
      return fail("expected ',' or '}' after an object member, found " + describe());
    }
  }

  template <bool Keep>
  bool array(json* out, std::size_t depth) {
    if (!enter(depth)) return false;
    ++p_;
    json::array_t* items = nullptr;
    if constexpr (Keep) {
      *out = json(json::value_t::array);
      items = out->get_ptr<json::array_t*>();
    }
    skip_space();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      if constexpr (Keep) {
        // Arrays in reviews are mostly short: room for four up front saves the 1-2-4 regrowths.
        if (items->empty()) items->reserve(4);
        items->emplace_back();
        if (!value(&items->back(), depth)) return false;
      } else if (!value<false>(nullptr, depth)) {
        return false;
      }
      skip_space();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        continue;
      }
      if (p_ < end_ && *p_ == ']') {
        ++p_;
        return true;
      }
      return fail("expected ',' or ']' after an array element, found " + describe());
    }
  }

  bool skipped(const std::string& key) const {
    for (const auto k : skip_) {
      if (key == k) return true;
    }
    return false;
  }

  bool literal(json& out, const char* word, std::size_t n, json v) {
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) {
      return fail("expected a value, found " + describe());
    }
    p_ += n;
    out = std::move(v);
    return true;
  }

  /// Reads four hex digits after "\u" (p_ at the backslash); advances past them.
  bool hex4(std::uint32_t& cp) {
    if (end_ - p_ < 6) return fail("'\\u' must be followed by 4 hex digits");
    cp = 0;
    for (int i = 2; i < 6; ++i) {
      const int h = hex_value(p_[i]);
      if (h < 0) return fail("'\\u' must be followed by 4 hex digits");
      cp = (cp << 4) | static_cast<std::uint32_t>(h);
    }
    p_ += 6;
    return true;
  }

  bool escape(std::string& out) {
    if (end_ - p_ < 2) {
      ++p_;
      return fail("unterminated string");
    }
    switch (p_[1]) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        std::uint32_t cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("UTF-16 low surrogate without a high surrogate before it");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          std::uint32_t low = 0;
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
            return fail("UTF-16 high surrogate must be followed by a \\u low surrogate");
          }
          if (!hex4(low)) return false;
          if (low < 0xDC00 || low > 0xDFFF) return fail("UTF-16 high surrogate must be followed by a low surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        return true;
      }
      default:
        ++p_;
        return fail("invalid escape, found " + describe() + " after '\\'");
    }
    p_ += 2;
    return true;
  }

  /// p_ at the opening quote; appends the decoded string to `out` and leaves p_ after the closing quote.
  bool string(std::string& out) { return scan_string<true>(&out); }

  /// Checks a string exactly as string() does without keeping it.
  bool skip_string() { return scan_string<false>(nullptr); }

  template <bool Keep>
  bool scan_string(std::string* out) {
    const char* q = p_ + 1;  // a local cursor: the hot loop stays in registers
    const char* run = q;
    for (;;) {
      q = json_plain_run_end(q, end_);
      if (q >= end_) {
        p_ = q;
        return fail("unterminated string");
      }
      switch (kJsonStringClass[static_cast<unsigned char>(*q)]) {
        case 1:
          if constexpr (Keep) out->append(run, static_cast<std::size_t>(q - run));
          p_ = q + 1;
          return true;
        case 2:
          if constexpr (Keep) out->append(run, static_cast<std::size_t>(q - run));
          p_ = q;
          if constexpr (Keep) {
            if (!escape(*out)) return false;
          } else {
            scratch_.clear();
            if (!escape(scratch_)) return false;
          }
          q = run = p_;
          break;
        case 3:
          p_ = q;
          return fail("control character " + describe() + " in a string must be escaped");
        default: {
          const std::size_t n = utf8_sequence_length(std::string_view(begin_, static_cast<std::size_t>(end_ - begin_)),
                                                     static_cast<std::size_t>(q - begin_));
          if (n == 0) {
            p_ = q;
            return fail("ill-formed UTF-8 " + describe() + " in a string");
          }
          q += n;
          break;
        }
      }
    }
  }

  bool number(json& out) {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ >= end_ || !is_digit(*p_)) return fail("expected a digit in a number, found " + describe());
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && is_digit(*p_)) ++p_;
    }
    const char* int_end = p_;
    bool integral = true;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ >= end_ || !is_digit(*p_)) return fail("expected a digit after '.' in a number, found " + describe());
      while (p_ < end_ && is_digit(*p_)) ++p_;
      integral = false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ >= end_ || !is_digit(*p_)) return fail("expected a digit in a number's exponent, found " + describe());
      while (p_ < end_ && is_digit(*p_)) ++p_;
      integral = false;
    }
    if (integral) {
      // Like nlohmann: non-negative integers are unsigned, negative ones signed, and either falls
      // back to a double when it does not fit 64 bits.
      std::uint64_t magnitude = 0;
      bool fits = true;
      for (const char* d = negative ? start + 1 : start; d < int_end; ++d) {
        const auto digit = static_cast<std::uint64_t>(*d - '0');
        if (magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
          fits = false;
          break;
        }
        magnitude = magnitude * 10 + digit;
      }
      if (fits && !negative) {
        out = static_cast<json::number_unsigned_t>(magnitude);
        return true;
      }
      constexpr auto kMinMagnitude = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
      if (fits && magnitude <= kMinMagnitude) {
        out = magnitude == kMinMagnitude ? std::numeric_limits<std::int64_t>::min()
                                         : -static_cast<json::number_integer_t>(magnitude);
        return true;
      }
    }
    // strtod needs a terminated copy; JSON numbers in reviews are short.
    const auto len = static_cast<std::size_t>(p_ - start);
    char small[64];
    std::string big;
    const char* text = small;
    if (len < sizeof small) {
      std::memcpy(small, start, len);
      small[len] = '\0';
    } else {
      big.assign(start, len);
      text = big.c_str();
    }
    const double d = std::strtod(text, nullptr);
    if (!std::isfinite(d)) {  // nlohmann refuses these too (out_of_range 406)
      p_ = start;
      return fail("number " + std::string(start, len) + " is out of range for a double");
    }
    out = static_cast<json::number_float_t>(d);
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::size_t max_depth_;
  std::span<const std::string_view> skip_;
  std::string scratch_;  ///< decoded escapes of skipped strings
  std::string error_;
  const char* error_at_ = nullptr;
  bool too_deep_ = false;
};

}  // namespace

Result<nlohmann::json> read_json(std::string_view text, std::size_t max_depth,
                                 std::span<const std::string_view> skip_members) {
  Reader r(text, max_depth, skip_members);
  json v;
  if (!r.document(v)) return fail(r.error());
  return v;
}

void release_json(nlohmann::json& v) noexcept {
  if (auto* members = v.get_ptr<json::object_t*>()) {
    for (auto& [key, member] : *members) {
      if (member.is_structured()) release_json(member);
    }
    members->clear();
  } else if (auto* items = v.get_ptr<json::array_t*>()) {
    for (auto& item : *items) {
      if (item.is_structured()) release_json(item);
    }
    items->clear();
  }
}

}  // namespace gopreflight::webhook
