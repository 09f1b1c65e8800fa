// The safe YAML reader: scalar resolution as kubectl does it, limits, positions.
#include <doctest/doctest.h>

#include <string>

#include "gopreflight/webhook/yaml_input.hpp"

using namespace gopreflight::webhook;
using nlohmann::json;

namespace {

json convert(const std::string& text) {
  auto docs = yaml_input::load_all(text, {});
  INFO(text);
  REQUIRE_FALSE(docs.error);
  REQUIRE(docs.docs.size() == 1);
  auto c = yaml_input::to_json(docs.docs[0], {});
  REQUIRE_FALSE(c.error);
  return c.value;
}

std::string error_of(const std::string& text, const yaml_input::Limits& limits = {}) {
  auto docs = yaml_input::load_all(text, limits);
  if (docs.error) return std::to_string(docs.error->line) + ":" + std::to_string(docs.error->col) + " " + docs.error->message;
  for (const auto& d : docs.docs) {
    auto c = yaml_input::to_json(d, limits);
    if (c.error) return std::to_string(c.error->line) + ":" + std::to_string(c.error->col) + " " + c.error->message;
  }
  return "";
}

}  // namespace

TEST_SUITE("yaml_input") {
  TEST_CASE("scalars resolve as kubectl resolves them") {
    struct Case {
      const char* yaml;
      json want;
    };
    const Case cases[] = {
        {"v: 30", 30},
        {"v: \"30\"", "30"},
        {"v: '30'", "30"},
        {"v: !!str 30", "30"},
        {"v: -7", -7},
        {"v: 0644", 420},  // YAML 1.1 octal, as in defaultMode: 0644
        {"v: 0o17", 15},
        {"v: 0x1F", 31},
        {"v: 1_000", 1000},
        {"v: 1.5", 1.5},
        {"v: 1e3", 1000.0},
        {"v: 08", 8.0},
        {"v: 18446744073709551615", 18446744073709551615ull},
        {"v: 99999999999999999999", 1e20},
        {"v: true", true},
        {"v: yes", true},
        {"v: Off", false},
        {"v: ~", nullptr},
        {"v: null", nullptr},
        {"v:", nullptr},
        {"v: 1024 65535", "1024 65535"},
        {"v: 512Mi", "512Mi"},
        {"v: .inf", ".inf"},
        {"v: 1.2.3", "1.2.3"},
        {"v: \"\\u00e9\"", "\xC3\xA9"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.yaml);
      CHECK(convert(c.yaml)["v"] == c.want);
    }
  }

  TEST_CASE("JSON text converts to the same JSON") {
    const std::string text = R"({"a": [1, 2.5, "x", true, null, {"b": "c"}], "d": "1024 65535"})";
    CHECK(convert(text) == json::parse(text));
  }

  TEST_CASE("merge keys are applied; explicit keys win") {
    CHECK(convert("base: &b {x: 1, y: 2}\nv:\n  <<: *b\n  y: 3\n")["v"] == json{{"x", 1}, {"y", 3}});
    CHECK(convert("a: &a {x: 1}\nb: &b {x: 2, z: 4}\nv: {<<: [*a, *b]}\n")["v"] == json{{"x", 1}, {"z", 4}});
  }

  TEST_CASE("bad input: positioned, clear errors") {
    CHECK(error_of("a: 1\nb: 2\na: 3\n") == "3:1 duplicate key \"a\" (first at line 1)");
    CHECK(error_of("? [a]\n: 1\n") == "1:3 a mapping key must be a plain value, not a sequence or mapping");
    CHECK(error_of("a: b\n  c: [\n") .rfind("2:", 0) == 0);
    CHECK(error_of("ok: 1\nbad: \"x\xFFy\"\n") == "2:8 invalid UTF-8 (byte 0xFF); YAML and JSON input must be UTF-8");
    CHECK(error_of("a: \xED\xA0\x80\n") == "1:4 invalid UTF-8 (byte 0xED); YAML and JSON input must be UTF-8");  // surrogate
    CHECK(error_of("a: \xC0\xAF\n") == "1:4 invalid UTF-8 (byte 0xC0); YAML and JSON input must be UTF-8");  // overlong
    CHECK(error_of(std::string("a: b\x00 c\n", 8)) == "1:5 control character U+0000 is not allowed in YAML or JSON text");
    CHECK(error_of(std::string(100000, '[')).find("nesting too deep") != std::string::npos);
    std::string dashes;
    for (int i = 0; i < 100000; ++i) dashes += "- ";
    CHECK(error_of(dashes + "x\n").find("nesting too deep") != std::string::npos);
    // yaml-cpp 0.7's LoadAll loops forever on these (found by fuzz_policy).
    CHECK(error_of("{\"a\": 1}, x\n") == "1:9 YAML: unexpected content after the end of a document");
    CHECK(error_of("{\"a\": 1},\n\"b\": 2}\n").find("YAML: ") != std::string::npos);
    CHECK(error_of("a: &a [*a]\n").find("an alias that refers to itself") != std::string::npos);
  }

  TEST_CASE("limits: size, node estimate before parsing, alias expansion while converting") {
    yaml_input::Limits small;
    small.max_bytes = 100;
    small.max_nodes = 50;
    CHECK(error_of(std::string(101, 'a'), small) == "0:0 input is 101 bytes; the limit is 100");
    std::string wide = "[";
    for (int i = 0; i < 60; ++i) wide += "1,";
    CHECK(error_of(wide + "1]", {100000, 50, 400}).find("more than 50 lines and list/map items") != std::string::npos);
    const std::string bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                             "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                             "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";
    CHECK(error_of(bomb).find("values (after expanding aliases); the input is too large") != std::string::npos);
  }

  TEST_CASE("positions are 1-based line and column of the node") {
    auto docs = yaml_input::load_all("a: 1\n---\n# c\nkind: Pod\n", {});
    REQUIRE(docs.docs.size() == 2);
    CHECK(yaml_input::position(docs.docs[0]) == std::pair(1, 1));
    CHECK(yaml_input::position(docs.docs[1]) == std::pair(4, 1));
    CHECK(yaml_input::position(docs.docs[1]["kind"]) == std::pair(4, 7));
  }
}
