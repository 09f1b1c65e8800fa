// Text escaping (common/src/text.cpp): JSON strings, XML 1.0, Prometheus label values, UTF-8.
#include <doctest/doctest.h>

#include "gopreflight/common/text.hpp"

using namespace gopreflight::common;

TEST_CASE("utf8_sequence_length: RFC 3629 only") {
  CHECK(utf8_sequence_length("a", 0) == 1);
  CHECK(utf8_sequence_length("\xC3\xA9", 0) == 2);
  CHECK(utf8_sequence_length("\xE2\x82\xAC", 0) == 3);
  CHECK(utf8_sequence_length("\xF0\x9F\x98\x80", 0) == 4);
  CHECK(utf8_sequence_length("\xC0\xAF", 0) == 0);          // overlong
  CHECK(utf8_sequence_length("\xED\xA0\x80", 0) == 0);      // surrogate
  CHECK(utf8_sequence_length("\xF4\x90\x80\x80", 0) == 0);  // above U+10FFFF
  CHECK(utf8_sequence_length("\xE2\x82", 0) == 0);          // cut short
  CHECK(valid_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
}

TEST_CASE("append_json_string") {
  std::string out;
  append_json_string(out, std::string_view("a\"b\\c\n\t\r\x01\x7f\xC3\xA9\xFF", 13));
  CHECK(out == "\"a\\\"b\\\\c\\n\\t\\r\\u0001\x7f\xC3\xA9\\ufffd\"");
  out.clear();
  const std::string long_plain(100, 'x');
  append_json_string(out, long_plain + "\"");  // the 16-byte scan stops at the quote
  CHECK(out == "\"" + long_plain + "\\\"\"");
}

TEST_CASE("xml_escape: entities, controls, invalid UTF-8") {
  CHECK(xml_escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;");
  CHECK(xml_escape("tab\tnl\ncr\r") == "tab\tnl\ncr\r");
  CHECK(xml_escape(std::string_view("bell\x07", 5)) == "bell?");
  CHECK(xml_escape("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(xml_escape("bad\xFF") == "bad\xEF\xBF\xBD");
}

TEST_CASE("prometheus_label_escape") {
  CHECK(prometheus_label_escape("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(prometheus_label_escape("plain.id") == "plain.id");
}
