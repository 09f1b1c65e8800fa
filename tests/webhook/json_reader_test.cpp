// read_json: same values as nlohmann::json::parse on what it accepts, the same refusals, a nesting
// limit enforced while reading, and errors with line, column and byte.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/json_reader.hpp"

using gopreflight::webhook::read_json;
using nlohmann::json;

namespace {

/// read_json and nlohmann agree on `text`: both refuse it, or both accept it with the same value,
/// the same number types (dump() distinguishes 1, 1.0 and -1) and the same dump.
void agree(const std::string& text) {
  CAPTURE(text);
  bool nl_ok = true;
  json expected;
  try {
    expected = json::parse(text);
  } catch (const json::exception&) {  // parse_error, or out_of_range for 1e400
    nl_ok = false;
  }
  const auto got = read_json(text);
  REQUIRE(static_cast<bool>(got) == nl_ok);
  if (nl_ok) {
    CHECK(*got == expected);
    CHECK(got->dump() == expected.dump());
    CHECK(got->type() == expected.type());
  } else {
    CHECK(got.error().rfind("not valid JSON: line ", 0) == 0);
  }
}

}  // namespace

TEST_SUITE("json_reader") {
  TEST_CASE("values and number types match nlohmann::json::parse") {
    for (const char* t : {"0", "-0", "1", "-1", "123456789", "18446744073709551615", "18446744073709551616",
                          "-9223372036854775808", "-9223372036854775809", "1.5", "-0.0", "1e3", "1E+3", "2.5e-3",
                          "1e400", "-1e400", "1e-400", "123.456e7", "0.1", "true", "false", "null", "\"\"", "\"a\"",
                          "[]", "{}", "[1,2,3]", " \t\r\n[ 1 , {\"a\" : [ ] } ] \n", "{\"a\":1,\"a\":2}",
                          "{\"a\":{\"b\":1},\"a\":[2]}", "{\"b\":1,\"a\":2,\"c\":{\"z\":null,\"y\":true}}",
                          "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"", "\"\\u0000x\"",
                          "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "\xEF\xBB\xBF{\"bom\":1}",
                          "[1.0,2.50,-3.25e+2,0e0]", "{\"managedFields\":[{\"f:spec\":{\".\":{}}}]}"}) {
      agree(t);
    }
  }

  TEST_CASE("long strings: every special byte found at every offset of the 16-byte scan") {
    for (std::size_t pos = 0; pos < 40; ++pos) {
      const std::string pad(pos, 'x');
      for (const std::string special : {"\\n", "\\\"", "\\u00e9", "\xc3\xa9", "\xe2\x82\xac", "\x7f", "\x01",
                                        "\x1f", "\xff", "\x80", "\t"}) {
        agree("\"" + pad + special + pad + "tail\"");
        agree("{\"" + pad + special + "\":\"" + special + pad + "\"}");
      }
      agree("\"" + pad);  // unterminated at every length
      agree("\"" + pad + "\"");
    }
  }

  TEST_CASE("refuses what nlohmann refuses") {
    for (const char* t : {"", " ", "nul", "tru", "falsey", "NaN", "Infinity", "+1", ".5", "1.", "1.e3", "1e",
                          "1e+", "01", "-", "--1", "0x10", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\"}",
                          "{\"a\" 1}", "{1:2}", "{'a':1}", "[1 2]", "\"abc", "\"a\\\"", "\"\\x\"", "\"\\u12\"",
                          "\"\\u12g4\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"\\ud800x\"",
                          "\"tab\there\"", "\"nl\nhere\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"",
                          "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xc3\"", "{} x", "[] []", "\xEF\xBB{}",
                          "{\"a\":1}}", "]", "}"}) {
      agree(t);
    }
    agree(std::string("\"a\0b\"", 5));
  }

  TEST_CASE("a raw NUL byte is refused (nlohmann would stop reading there)") {
    const std::string text("{\"a\":1}\0{\"ignored\":", 19);
    CHECK(json::accept(text));  // the divergence this test documents
    const auto r = read_json(text);
    REQUIRE_FALSE(r);
    CHECK(r.error() == "not valid JSON: line 1, column 8 (byte 7): found byte 0x00 after the end of the JSON value");
    CHECK_FALSE(read_json(std::string("[1,\0]", 5)));
  }

  TEST_CASE("errors name line, column, byte and what was found") {
    auto r = read_json("{\n  \"a\": 1,\n  \"b\": tru\n}");
    REQUIRE_FALSE(r);
    CHECK(r.error() == "not valid JSON: line 3, column 8 (byte 19): expected a value, found 't'");
    r = read_json("not json");
    CHECK(r.error() == "not valid JSON: line 1, column 1 (byte 0): expected a value, found 'n'");
    r = read_json("{\"a\":\"\xff\"}");
    CHECK(r.error() == "not valid JSON: line 1, column 7 (byte 6): ill-formed UTF-8 byte 0xff in a string");
    r = read_json("{} trailing");
    CHECK(r.error() == "not valid JSON: line 1, column 4 (byte 3): found 't' after the end of the JSON value");
    r = read_json("[1,2");
    CHECK(r.error() == "not valid JSON: line 1, column 5 (byte 4): expected ',' or ']' after an array element, found "
                     "the end of the input");
  }

  TEST_CASE("nesting is limited while reading, strings do not count") {
    CHECK(read_json(std::string(256, '[') + std::string(256, ']')));
    auto deep = read_json(std::string(257, '[') + std::string(257, ']'));
    REQUIRE_FALSE(deep);
    CHECK(deep.error() == "JSON nests deeper than 256 levels at byte 256; refused without building it");
    // 100,000 levels: refused at the limit, never recursing further (this would overflow the stack).
    deep = read_json(std::string(100000, '[') + std::string(100000, ']'));
    CHECK(deep.error().rfind("JSON nests deeper than 256 levels at byte 256", 0) == 0);
    std::string objects;
    for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
    deep = read_json(objects);
    CHECK(deep.error().rfind("JSON nests deeper than 256 levels", 0) == 0);
    CHECK(read_json(R"({"a":"[[[[[[[[[[[[[["})", 3));
    CHECK(read_json(R"({"a":"\"[[[[[[[[[[[[[["})", 3));
    CHECK(read_json(R"({"a":{"b":[1]}})", 3));
    CHECK(read_json(R"({"a":{"b":[[1]]}})", 3).error().rfind("JSON nests deeper than 3 levels at byte 11", 0) == 0);
  }

  TEST_CASE("skipped members are checked but left out, at any depth") {
    static constexpr std::string_view kSkip[] = {"managedFields"};
    const std::string text =
        R"({"metadata":{"name":"p","managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{"f:containers":)"
        R"({"k:{\"name\":\"api\"}":{".":{},"f:image":{}}}}},"time":"2026-11-27T10:00:00Z","n":1.5e3}]},)"
        R"("spec":{"managedFields":true,"x":[{"managedFields":{"deep":[1,2,{"a":null}]},"y":"\u00e9"}]}})";
    const auto r = read_json(text, 256, kSkip);
    REQUIRE(r);
    CHECK(*r == json::parse(R"({"metadata":{"name":"p"},"spec":{"x":[{"y":"\u00e9"}]}})"));
    // A malformed skipped value is still an error, with the same message as without skipping.
    for (const std::string bad : {R"({"managedFields":[1,]})", R"({"managedFields":"\q"})",
                                  "{\"managedFields\":\"\xff\"}", R"({"managedFields":1e400})",
                                  R"({"managedFields":{"a" 1}})", R"({"managedFields":[tru]})"}) {
      CAPTURE(bad);
      const auto skipped = read_json(bad, 256, kSkip);
      REQUIRE_FALSE(skipped);
      CHECK(skipped.error() == read_json(bad).error());
    }
    // The nesting limit counts skipped levels too.
    const std::string deep = R"({"managedFields":)" + std::string(300, '[') + std::string(300, ']') + "}";
    CHECK(read_json(deep, 256, kSkip).error().rfind("JSON nests deeper than 256 levels", 0) == 0);
  }

  TEST_CASE("release_json empties a value depth first, at the deepest nesting read_json accepts") {
    auto r = read_json(R"({"a":[1,{"b":"long enough to live on the heap","c":[[],{}]}],"d":{"e":null},"f":"x"})");
    REQUIRE(r);
    json v = *r;
    gopreflight::webhook::release_json(v);
    CHECK(v == json::object());
    const std::string deep = std::string(256, '[') + "\"s\"" + std::string(256, ']');
    auto d = read_json(deep, 256);
    REQUIRE(d);
    json dv = *d;
    gopreflight::webhook::release_json(dv);
    CHECK(dv == json::array());
    for (json scalar : {json(nullptr), json(3), json("text"), json(true)}) {
      const json before = scalar;
      gopreflight::webhook::release_json(scalar);
      CHECK(scalar == before);
    }
  }

  TEST_CASE("every admission golden request reads the same as with nlohmann") {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(GP_ADMISSION_TESTDATA)) {
      const std::string name = e.path().filename().string();
      if (name.size() < 13 || name.compare(name.size() - 13, 13, ".request.json") != 0) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      agree(ss.str());
      if (json::accept(ss.str())) agree(json::parse(ss.str()).dump());  // compact, as the API server sends it
      ++n;
    }
    CHECK(n >= 20);
  }
}
