// Untrusted YAML/JSON text -> yaml-cpp nodes -> nlohmann::json, with every limit checked and every
// yaml-cpp exception turned into a positioned error.
#include "gopreflight/webhook/yaml_input.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <set>
#include <utility>
#include <cstdio>
#include <map>

#include <sstream>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

namespace gopreflight::webhook::yaml_input {
namespace {

// Length of the UTF-8 sequence starting at text[i] and its code point, or 0 when invalid.
std::size_t utf8_sequence(std::string_view text, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// YAML's c-printable set, minus nothing: tab, LF, CR, printable ASCII, NEL, and the rest of
// Unicode except surrogates (already rejected) and U+FFFE/U+FFFF.
bool printable(char32_t cp) {
  if (cp == 0x09 || cp == 0x0A || cp == 0x0D) return true;
  if (cp < 0x20 || cp == 0x7F) return false;
  if (cp >= 0x80 && cp < 0xA0) return cp == 0x85;
  return cp != 0xFFFE && cp != 0xFFFF;
}

bool is_plain(const YAML::Node& n) { return n.Tag() == "?" || n.Tag().empty(); }

std::optional<nlohmann::json> parse_int(const std::string& raw) {
  std::string s;
  for (char c : raw)
    if (c != '_') s += c;
  if (s.empty()) return std::nullopt;
  bool neg = false;
  std::size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return std::nullopt;
  int base = 10;
  if (s.size() - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    base = 16, i += 2;
  } else if (s.size() - i > 2 && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) {
    base = 8, i += 2;
  } else if (s.size() - i > 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B')) {
    base = 2, i += 2;
  } else if (s.size() - i > 1 && s[i] == '0') {
    base = 8, i += 1;  // YAML 1.1 (and kubectl): 0644 is octal
  }
  std::uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0 || d >= base) return std::nullopt;
    const auto ud = static_cast<std::uint64_t>(d);
    const auto ubase = static_cast<std::uint64_t>(base);
    if (v > (UINT64_MAX - ud) / ubase) return std::nullopt;  // overflow: maybe a float
    v = v * ubase + ud;
  }
  if (!neg) {
    if (v <= static_cast<std::uint64_t>(INT64_MAX)) return nlohmann::json(static_cast<std::int64_t>(v));
    return nlohmann::json(v);
  }
  if (v <= static_cast<std::uint64_t>(INT64_MAX)) return nlohmann::json(-static_cast<std::int64_t>(v));
  if (v == static_cast<std::uint64_t>(INT64_MAX) + 1u) return nlohmann::json(INT64_MIN);
  return std::nullopt;
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (go-yaml's float syntax), underscores allowed.
std::optional<nlohmann::json> parse_float(const std::string& raw) {
  std::string s;
  for (char c : raw)
    if (c != '_') s += c;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (errno == ERANGE || end != s.c_str() + s.size()) return std::nullopt;
  return nlohmann::json(d);
}

TextError error_at(const YAML::Node& n, std::string message) {
  const auto [line, col] = position(n);
  return TextError{line, col, std::move(message)};
}

struct Converter {
  const Limits& limits;
  std::size_t nodes = 0;
  std::optional<TextError> error;

  nlohmann::json convert(const YAML::Node& n, int depth) {
    if (error) return nullptr;
    if (++nodes > limits.max_nodes) {
      error = error_at(n, "more than " + std::to_string(limits.max_nodes) +
                              " values (after expanding aliases); the input is too large");
      return nullptr;
    }
    if (depth > limits.max_depth) {
      error = error_at(n, "nesting deeper than " + std::to_string(limits.max_depth) +
                              " levels (or an alias that refers to itself)");
      return nullptr;
    }
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        return resolve_scalar(n);
      case YAML::NodeType::Sequence: {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& item : n) {
          arr.push_back(convert(item, depth + 1));
          if (error) return nullptr;
        }
        return arr;
      }
      case YAML::NodeType::Map:
        return convert_map(n, depth);
    }
    return nullptr;
  }

  nlohmann::json convert_map(const YAML::Node& n, int depth) {
    nlohmann::json obj = nlohmann::json::object();
    std::vector<YAML::Node> merges;
    std::map<std::string, int> first_line;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar() && !key.IsNull()) {
        error = error_at(key, "a mapping key must be a plain value, not a sequence or mapping");
        return nullptr;
      }
      const std::string k = key.IsNull() ? "null" : key.Scalar();
      if (k == "<<" && is_plain(key)) {
        merges.push_back(it->second);
        continue;
      }
      if (auto [pos, inserted] = first_line.emplace(k, position(key).first); !inserted) {
        error = error_at(key, "duplicate key \"" + k + "\" (first at line " + std::to_string(pos->second) + ")");
        return nullptr;
      }
      obj[k] = convert(it->second, depth + 1);
      if (error) return nullptr;
    }
    for (const auto& m : merges) {
      std::vector<YAML::Node> sources;
      if (m.IsMap()) {
        sources.push_back(m);
      } else if (m.IsSequence()) {
        for (const auto& s : m) sources.push_back(s);
      }
      if (sources.empty() && !m.IsSequence()) {
        error = error_at(m, "a merge key (<<) needs a mapping or a list of mappings");
        return nullptr;
      }
      for (const auto& s : sources) {
        if (!s.IsMap()) {
          error = error_at(s, "a merge key (<<) needs a mapping or a list of mappings");
          return nullptr;
        }
        nlohmann::json merged = convert(s, depth + 1);
        if (error) return nullptr;
        for (auto& [k, v] : merged.items())
          if (!obj.contains(k)) obj[k] = v;
      }
    }
    return obj;
  }
};


// yaml-cpp 0.7's LoadAll never returns on some malformed streams (`{"a": 1}, x`: the stray text
// after a document yields empty documents forever). A first pass over parser events counts the
// documents and stops once there are more than the stream's document markers allow.
class DocumentCounter : public YAML::EventHandler {
 public:
  YAML::Mark last;
  void OnDocumentStart(const YAML::Mark& m) override { last = m; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { last = m; }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { last = m; }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { last = m; }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    last = m;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    last = m;
  }
  void OnMapEnd() override {}
};

std::optional<TextError> check_document_count(std::string_view text) {
  std::size_t markers = 0;  // lines starting with --- or ...
  for (std::size_t i = 0; i < text.size();) {
    const auto sub = text.substr(i, 3);
    if (sub == "---" || sub == "...") ++markers;
    const auto nl = text.find('\n', i);
    if (nl == std::string_view::npos) break;
    i = nl + 1;
  }
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  DocumentCounter counter;
  std::size_t docs = 0;
  while (parser.HandleNextDocument(counter)) {
    if (++docs > markers + 2) {
      return TextError{counter.last.line + 1, counter.last.column + 1,
                       "YAML: unexpected content after the end of a document"};
    }
  }
  return std::nullopt;
}
}  // namespace

std::pair<int, int> position(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.is_null() || m.line < 0) return {0, 0};
  return {m.line + 1, m.column + 1};
}

std::string describe(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "a sequence";
    case nlohmann::json::value_t::object: return "a mapping";
    default: return "a value";
  }
}

std::optional<TextError> precheck(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes) {
    return TextError{0, 0, "input is " + std::to_string(text.size()) + " bytes; the limit is " +
                               std::to_string(limits.max_bytes)};
  }
  int line = 1, col = 1;
  std::size_t estimate = 0;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t len = utf8_sequence(text, i, cp);
    if (len == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(text[i])));
      return TextError{line, col, std::string("invalid UTF-8 (byte ") + hex + "); YAML and JSON input must be UTF-8"};
    }
    if (!printable(cp)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
      return TextError{line, col, std::string("control character ") + hex + " is not allowed in YAML or JSON text"};
    }
    if (cp == '\n' || cp == ',' || cp == '[' || cp == '{') ++estimate;
    if (estimate > limits.max_nodes) {
      return TextError{line, col, "more than " + std::to_string(limits.max_nodes) +
                                      " lines and list/map items; the input is too large"};
    }
    if (cp == '\n') {
      ++line, col = 1;
    } else {
      ++col;
    }
    i += len;
  }
  return std::nullopt;
}

Documents load_all(std::string_view text, const Limits& limits) {
  Documents out;
  if (auto e = precheck(text, limits)) {
    out.error = std::move(e);
    return out;
  }
  try {
    if (auto e = check_document_count(text)) {
      out.error = std::move(e);
      return out;
    }
    out.docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    out.error = TextError{e.mark.line + 1, e.mark.column + 1,
                          "nesting too deep (yaml-cpp stops at 500 levels); the input is not a sane manifest"};
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) out.error = TextError{0, 0, "YAML: " + e.msg};
    else out.error = TextError{e.mark.line + 1, e.mark.column + 1, "YAML: " + e.msg};
  } catch (const std::bad_alloc&) {
    out.error = TextError{0, 0, "out of memory while parsing; the input is too large"};
  } catch (const std::exception& e) {
    out.error = TextError{0, 0, std::string("YAML: ") + e.what()};
  }
  return out;
}

nlohmann::json resolve_scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  const std::string& tag = n.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return s;
  const bool plain = is_plain(n);
  const bool want_null = tag == "tag:yaml.org,2002:null", want_bool = tag == "tag:yaml.org,2002:bool",
             want_int = tag == "tag:yaml.org,2002:int", want_float = tag == "tag:yaml.org,2002:float";
  if (!plain && !want_null && !want_bool && !want_int && !want_float) return s;  // other explicit tags
  static const std::set<std::string> kNull{"", "~", "null", "Null", "NULL"};
  static const std::set<std::string> kTrue{"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::set<std::string> kFalse{"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  if ((plain || want_null) && kNull.count(s)) return nullptr;
  if (plain || want_bool) {
    if (kTrue.count(s)) return true;
    if (kFalse.count(s)) return false;
  }
  if ((plain || want_int || want_float) && !s.empty() &&
      (s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) {
    if (!want_float)
      if (auto i = parse_int(s)) return *i;
    if (auto f = parse_float(s)) return *f;
  }
  return s;  // .inf and .nan stay strings: JSON cannot hold them
}

Converted to_json(const YAML::Node& node, const Limits& limits) {
  Converter c{limits, 0, std::nullopt};
  Converted out;
  try {
    out.value = c.convert(node, 0);
  } catch (const std::exception& e) {
    c.error = error_at(node, std::string("cannot convert YAML to JSON: ") + e.what());
  }
  if (c.error) {
    out.error = std::move(c.error);
    out.value = nullptr;
  }
  return out;
}

}  // namespace gopreflight::webhook::yaml_input
