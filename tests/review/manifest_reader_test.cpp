// Manifest reading: multi-document YAML, JSON, List kinds, directories, stdin, malformed input.
#include <doctest/doctest.h>

#include <iostream>
#include <sstream>
#include <string>

#include "gopreflight/webhook/review.hpp"

using namespace gopreflight::webhook::review;
using nlohmann::json;

namespace {
const std::string kData = GP_REVIEW_TESTDATA;
}

TEST_SUITE("manifest_reader") {
  TEST_CASE("multi-document YAML: empty documents skipped, each object with its line") {
    auto m = read_text("---\n# nothing\n---\napiVersion: v1\nkind: A\n---\n\n\nkind: B\n...\n", "x.yaml");
    REQUIRE(m.errors.empty());
    REQUIRE(m.objects.size() == 2);
    CHECK(m.objects[0].object == json{{"apiVersion", "v1"}, {"kind", "A"}});
    CHECK(m.objects[0].line == 4);
    CHECK(m.objects[1].line == 9);
    CHECK(m.objects[1].file == "x.yaml");
  }

  TEST_CASE("List kinds are expanded; items keep their own lines") {
    auto m = read_inputs({kData + "/list.yaml"}, std::cin);
    REQUIRE(m.errors.empty());
    REQUIRE(m.objects.size() == 2);
    CHECK(m.objects[0].object["kind"] == "Service");
    CHECK(m.objects[0].line == 4);
    CHECK(m.objects[1].object["kind"] == "Pod");
    CHECK(m.objects[1].line == 9);
    // A typed list (PodList) too, and an empty one yields nothing.
    auto typed = read_text("kind: PodList\napiVersion: v1\nitems:\n- {kind: Pod, apiVersion: v1}\n", "t");
    REQUIRE(typed.objects.size() == 1);
    CHECK(typed.objects[0].object["kind"] == "Pod");
    CHECK(read_text("kind: List\nitems: []\n", "t").objects.empty());
    auto bad = read_text("kind: List\nitems: {a: 1}\n", "t");
    REQUIRE(bad.errors.size() == 1);
    CHECK(bad.errors[0].str() == "t:2:8: items of a List must be a list");
  }

  TEST_CASE("JSON files") {
    auto m = read_inputs({kData + "/pod.json"}, std::cin);
    REQUIRE(m.errors.empty());
    REQUIRE(m.objects.size() == 1);
    CHECK(m.objects[0].object["spec"]["containers"][0]["securityContext"]["privileged"] == true);
    CHECK(m.objects[0].line == 1);
  }

  TEST_CASE("directories: recursive, only *.yaml *.yml *.json, sorted") {
    auto m = read_inputs({kData + "/dir"}, std::cin);
    REQUIRE(m.errors.empty());
    std::vector<std::string> seen;
    for (const auto& o : m.objects) seen.push_back(o.file.substr(kData.size()) + ":" + o.object.at("kind").dump());
    CHECK(seen == std::vector<std::string>{"/dir/a-service.yaml:\"Service\"", "/dir/a-service.yaml:\"ConfigMap\"",
                                           "/dir/c-pod.json:\"Pod\"", "/dir/nested/b-cronjob.yml:\"CronJob\""});
  }

  TEST_CASE("stdin is read once, named <stdin>") {
    std::istringstream in("kind: Pod\napiVersion: v1\n");
    auto m = read_inputs({"-", "-"}, in);
    REQUIRE(m.objects.size() == 1);
    CHECK(m.objects[0].file == "<stdin>");
    REQUIRE(m.errors.size() == 1);
    CHECK(m.errors[0].message == "- given more than once");
  }

  TEST_CASE("stdin without objects is an input error, never zero objects passed") {
    for (const char* text : {"", "---\n# only a comment\n---\n"}) {
      CAPTURE(text);
      std::istringstream in(text);
      auto m = read_inputs({"-"}, in);
      CHECK(m.objects.empty());
      REQUIRE(m.errors.size() == 1);
      CHECK(m.errors[0].file == "<stdin>");
      CHECK(m.errors[0].message.find("stdin") != std::string::npos);
    }
    std::istringstream empty;
    CHECK(read_inputs({"-"}, empty).errors[0].message.find("-i") != std::string::npos);
  }

  TEST_CASE("malformed and missing input: errors with file and line, other inputs still read") {
    auto m = read_inputs({kData + "/malformed.yaml", kData + "/nope.yaml", kData + "/pod.json"}, std::cin);
    REQUIRE(m.errors.size() == 2);
    CHECK(m.errors[0].file == kData + "/malformed.yaml");
    CHECK(m.errors[0].line == 6);
    CHECK(m.errors[0].message.rfind("YAML: ", 0) == 0);
    CHECK(m.errors[1].str() == kData + "/nope.yaml: no such file or directory");
    REQUIRE(m.objects.size() == 1);  // pod.json
    // A malformed document makes the whole stream unreadable: no partial objects from it.
    auto partial = read_text("kind: Pod\n---\nkind: [\n", "p");
    CHECK(partial.objects.empty());
    REQUIRE(partial.errors.size() == 1);
    CHECK(partial.errors[0].line == 4);
  }

  TEST_CASE("hostile input: invalid UTF-8, deep nesting, duplicate keys, alias bombs") {
    auto utf = read_text("kind: Pod\nmetadata: {name: \"a\xFE\"}\n", "u.yaml");
    REQUIRE(utf.errors.size() == 1);
    CHECK(utf.errors[0].str() == "u.yaml:2:20: invalid UTF-8 (byte 0xFE); YAML and JSON input must be UTF-8");
    CHECK(utf.objects.empty());

    auto deep = read_text("kind: Pod\nspec: " + std::string(100000, '[') + std::string(100000, ']') + "\n", "d.yaml");
    REQUIRE(deep.errors.size() == 1);
    CHECK(deep.errors[0].message.find("nesting too deep") != std::string::npos);

    auto dup = read_text("kind: Pod\nmetadata: {name: a}\nkind: Deployment\n", "k.yaml");
    REQUIRE(dup.errors.size() == 1);
    CHECK(dup.errors[0].str() == "k.yaml:3:1: duplicate key \"kind\" (first at line 1)");
    CHECK(dup.objects.empty());  // never judged as either kind

    std::string bomb = "a: &a [x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'g'; ++c, ++prev) {
      bomb += std::string(1, c) + ": &" + c + " [";
      for (int i = 0; i < 16; ++i) bomb += std::string(i ? "," : "") + "*" + prev;
      bomb += "]\n";
    }
    auto b = read_text(bomb, "b.yaml");
    REQUIRE(b.errors.size() == 1);
    CHECK(b.errors[0].message.find("after expanding aliases") != std::string::npos);

    std::string wide = "kind: Pod\nitems: [";
    for (int i = 0; i < 300000; ++i) wide += "1,";
    auto w = read_text(wide + "1]\n", "w.yaml");
    REQUIRE(w.errors.size() == 1);
    CHECK(w.errors[0].message == "more than 250000 lines and list/map items; the input is too large");
  }

  TEST_CASE("not-a-mapping documents are kept, to be reported as unreadable objects") {
    auto m = read_text("- a\n- b\n---\njust a string\n", "s.yaml");
    REQUIRE(m.errors.empty());
    REQUIRE(m.objects.size() == 2);
    CHECK(m.objects[0].object.is_array());
    CHECK(m.objects[1].object == "just a string");
  }
}
