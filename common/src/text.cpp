// Text escaping (see text.hpp).
#include "gopreflight/common/text.hpp"

namespace gopreflight::common {

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

void append_json_string(std::string& out, std::string_view v) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < v.size();) {
    const auto b = static_cast<unsigned char>(v[i]);
    if (kJsonStringClass[b] == 0) {  // copy runs of plain ASCII at once
      const std::size_t j = static_cast<std::size_t>(json_plain_run_end(v.data() + i, v.data() + v.size()) - v.data());
      out.append(v.data() + i, j - i);
      i = j;
      continue;
    }
    switch (b) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      default: break;
    }
    if (b < 0x20) {
      out += "\\u00";
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 0xF]);
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(v, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(v.data() + i, n);
      i += n;
    }
  }
  out.push_back('"');
}

std::string xml_escape(std::string_view raw) {
  const std::string s = valid_utf8(raw);
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 cannot carry C0 controls other than tab/LF/CR, not even as references.
        if (c < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
          out += '?';
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string prometheus_label_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace gopreflight::common
