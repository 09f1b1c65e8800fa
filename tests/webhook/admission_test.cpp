// AdmissionReview envelope: guards, decoding errors, encoding; bad bodies through Engine::validate.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "gopreflight/webhook/admission.hpp"
#include "gopreflight/webhook/policy_io.hpp"
#include "helpers.hpp"

using namespace gp_test;

namespace {

std::string review(const std::string& request, const char* api = "admission.k8s.io/v1") {
  return std::string(R"({"apiVersion":")") + api + R"(","kind":"AdmissionReview","request":)" + request + "}";
}

const std::string kPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x"}]}})";

std::string pod_request(const std::string& object, const std::string& extra = "") {
  return review(R"({"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE","namespace":"ns")" +
                extra + R"(,"object":)" + object + "}");
}

Engine permissive_engine() { return Engine(std::make_shared<const Policy>()); }

}  // namespace

TEST_SUITE("admission") {
  TEST_CASE("printable escapes invalid UTF-8 and control characters, and bounds length") {
    CHECK(printable("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(printable("a\xff" "b") == "a\\xffb");
    CHECK(printable("\xc3") == "\\xc3");              // truncated sequence
    CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // UTF-16 surrogate
    CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");     // overlong
    CHECK(printable(std::string("a\0b", 3)) == "a\\x00b");
    CHECK(printable("tab\there") == "tab\\x09here");
    CHECK(printable("line\nnext") == "line\nnext");
    CHECK(printable(std::string(100, 'x'), 10) == "xxxxxxxxxx...");
    CHECK(printable("\xe2\x82\xac\xe2\x82\xac", 4) == "\xe2\x82\xac...");  // never cuts a character
  }

  TEST_CASE("decode_admission_request names the wrong field") {
    struct Row {
      std::string body;
      const char* error;
    };
    const Row rows[] = {
        {"[]", "AdmissionReview: expected a JSON object, found list"},
        {R"({"kind":"AdmissionReview","request":{}})", "apiVersion: missing or not a string"},
        {R"({"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{}})",
         "apiVersion: admission.k8s.io/v2 is not admission.k8s.io/v1 or admission.k8s.io/v1beta1"},
        {R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{}})", "kind: expected \"AdmissionReview\""},
        {review("null"), "request: missing"},
        {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})", "request: missing"},
        {review("[1]"), "request: expected an object, found list"},
        {review("{}"), "request.uid: missing"},
        {review(R"({"uid":7})"), "request.uid: expected a string, found integer"},
        {review(R"({"uid":""})"), "request.uid: empty"},
        {review(R"({"uid":"u"})"), "request.kind: missing"},
        {review(R"({"uid":"u","kind":"Pod"})"), "request.kind: expected an object (group, version, kind), found string"},
        {review(R"({"uid":"u","kind":{"kind":1}})"), "request.kind.kind: expected a string, found integer"},
        {review(R"({"uid":"u","kind":{"kind":"Pod"}})"), "request.operation: missing"},
        {review(R"({"uid":"u","kind":{"kind":"Pod"},"operation":"PATCH"})"),
         "request.operation: PATCH is not CREATE, UPDATE, DELETE or CONNECT"},
        {review(R"({"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","namespace":5})"),
         "request.namespace: expected a string, found integer"},
        {review(R"({"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","userInfo":"me"})"),
         "request.userInfo: expected an object, found string"},
        {review(R"({"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","dryRun":"yes"})"),
         "request.dryRun: expected a boolean, found string"},
        {review(R"({"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE","subResource":[]})"),
         "request.subResource: expected a string, found list"},
        {review(R"({"uid":"u","kind":{"kind":"Pod"},"resource":"pods","operation":"CREATE"})"),
         "request.resource: expected an object, found string"},
    };
    for (const auto& r : rows) {
      CAPTURE(r.body);
      auto doc = JsonDocument::read(r.body);
      REQUIRE(doc);
      auto d = decode_admission_request((*doc)->root());
      CHECK_FALSE(d);
      CHECK(d.error().find(r.error) == 0);
    }
    auto doc = JsonDocument::read(pod_request(kPod, R"(,"dryRun":true,"userInfo":{"username":"me"})"));
    REQUIRE(doc);
    auto ok = decode_admission_request((*doc)->root());
    REQUIRE_MESSAGE(ok, ok.error());
    CHECK(ok->uid == "u1");
    CHECK(ok->kind == "Pod");
    CHECK(ok->resource == "pods");
    CHECK(ok->username == "me");
    CHECK(ok->dry_run);
    CHECK(ok->object.has_value());
    CHECK_FALSE(ok->old_object.has_value());
  }

  TEST_CASE("encode_admission_response: allowed, denied, warnings, audit annotations") {
    AdmissionAnswer a;
    a.allowed = true;
    auto allowed = json::parse(encode_admission_response("admission.k8s.io/v1beta1", "abc", a));
    CHECK(allowed == json::parse(R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","response":{"uid":"abc","allowed":true}})"));
    a.allowed = false;
    a.code = 403;
    a.message = "no";
    a.warnings = {"w1"};
    a.audit_annotations = {{"exempt", "namespace x"}};
    auto denied = json::parse(encode_admission_response("admission.k8s.io/v1", "u", a));
    CHECK(denied["response"]["status"] == json::parse(R"({"status":"Failure","code":403,"reason":"Forbidden","message":"no"})"));
    CHECK(denied["response"]["warnings"] == json::array({"w1"}));
    CHECK(denied["response"]["auditAnnotations"]["exempt"] == "namespace x");
    // Escaping: quotes, backslashes, control characters round-trip; invalid UTF-8 becomes U+FFFD.
    a.message = "say \"hi\"\\ \n\t\x01 caf\xc3\xa9";
    a.warnings = {"w\"1", ""};
    a.audit_annotations = {{"k\"", "v\\"}};
    auto esc = json::parse(encode_admission_response("admission.k8s.io/v1", "u\"id", a));
    CHECK(esc["response"]["uid"] == "u\"id");
    CHECK(esc["response"]["status"]["message"] == a.message);
    CHECK(esc["response"]["warnings"] == json::array({"w\"1", ""}));
    CHECK(esc["response"]["auditAnnotations"]["k\""] == "v\\");
    a.message = "cut \xe2\x82 here \xff";  // cut inside a multi-byte character, and a stray byte
    auto cut = json::parse(encode_admission_response("admission.k8s.io/v1", "u", a));
    CHECK(cut["response"]["status"]["message"] == "cut \xef\xbf\xbd\xef\xbf\xbd here \xef\xbf\xbd");
    // Long messages: each special byte at every offset of the 16-byte scan.
    for (std::size_t pos = 0; pos < 40; ++pos) {
      const std::string pad(pos, 'x');
      for (const auto& [raw, decoded] : std::vector<std::pair<std::string, std::string>>{
               {"\"", "\""}, {"\\", "\\"}, {"\n", "\n"}, {"\x01", "\x01"}, {"\x7f", "\x7f"},
               {"\xc3\xa9", "\xc3\xa9"}, {"\xff", "\xef\xbf\xbd"}, {"\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd"}}) {
        a.message = pad + raw + pad + "end";
        const auto long_msg = json::parse(encode_admission_response("admission.k8s.io/v1", "u", a));
        CHECK(long_msg["response"]["status"]["message"] == pad + decoded + pad + "end");
      }
    }
  }

  TEST_CASE("bad bodies: a clear 400, never allowed, never a crash") {
    const Engine engine = permissive_engine();
    struct Row {
      std::string body;
      const char* error;
    };
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    std::string deep_obj;
    for (int i = 0; i < 100000; ++i) deep_obj += R"({"a":)";
    deep_obj += "1" + std::string(100000, '}');
    std::string huge_containers = "[";
    for (int i = 0; i < 600; ++i) huge_containers += std::string(i ? "," : "") + R"({"name":"c","image":"x"})";
    huge_containers += "]";
    std::string huge_array = "[";
    for (int i = 0; i < 300000; ++i) huge_array += i ? ",1" : "1";
    huge_array += "]";
    const Row rows[] = {
        {"", "AdmissionReview: empty body"},
        {"not json", "AdmissionReview: not valid JSON: "},
        {"{\"apiVersion\":", "AdmissionReview: not valid JSON: "},
        {"{} trailing", "AdmissionReview: not valid JSON: "},
        {deep, "AdmissionReview: JSON nests deeper than 256 levels"},
        {pod_request(deep_obj), "AdmissionReview: JSON nests deeper than 256 levels"},
        {"{\"a\":\"\xff\xfe\"}", "AdmissionReview: not valid JSON: "},
        {pod_request(R"({"kind":"Pod","metadata":{"name":"caf\xc3"},"spec":{}})"), "AdmissionReview: not valid JSON: "},
        {"42", "AdmissionReview: expected a JSON object, found integer"},
        {pod_request("5"), "AdmissionReview.request.object: object: expected an object, found integer"},
        {review(R"({"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE"})"), "AdmissionReview.request.object: missing"},
        {review(R"({"uid":"u","kind":{"group":"","version":"v1","kind":"Service"},"operation":"CREATE","object":{}})"),
         "AdmissionReview.request.kind.kind: \"Service\" is not a kind this webhook judges"},
        {pod_request(R"({"kind":"Pod","spec":{"containers":"a"}})"),
         "AdmissionReview.request.object: spec.containers: expected a list, found string"},
        {pod_request(R"({"kind":"Pod","metadata":{"name":["x"]},"spec":{}})"),
         "AdmissionReview.request.object: metadata.name: expected a string, found list"},
        {pod_request(R"({"kind":"Pod","spec":{"containers":)" + huge_containers + "}}"),
         "AdmissionReview.request.object: spec.containers: has 600 entries; the engine reads at most 512"},
        {pod_request(R"({"kind":"Pod","spec":{"volumes":)" + huge_array + "}}"),
         "AdmissionReview.request.object: spec.volumes: has 300000 entries; the engine reads at most 4096"},
        {std::string(kMaxReviewBytes + 1, ' '), "AdmissionReview: body is 16777217 bytes; the limit is 16777216"},
    };
    for (const auto& r : rows) {
      CAPTURE(r.body.substr(0, 200));
      auto out = engine.validate(r.body);
      CHECK(out.http_status == 400);
      CHECK_FALSE(out.allowed);
      CHECK(out.error.find(r.error) == 0);
      CHECK(out.body == out.error);
      // The error is printable text: it re-encodes as JSON without throwing.
      CHECK_NOTHROW((void)json(out.error).dump());
    }
    // The invalid byte in the parse error is shown escaped.
    auto bad_utf8 = engine.validate("{\"a\":\"\xff\"}");
    CHECK(bad_utf8.error.find("ill-formed UTF-8 byte 0xff in a string") != std::string::npos);
  }
}

TEST_SUITE("admission") {
  TEST_CASE("metadata.managedFields is not read: same decision with or without it; malformed still a 400") {
    const Engine engine(builtin_policy());
    const std::string bare = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x"}]}})";
    const std::string with_fields =
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"kubectl","operation":"Update",)"
        R"("fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:image":{}}}}}}]},)"
        R"("spec":{"containers":[{"name":"a","image":"x"}]}})";
    const auto a = engine.validate(pod_request(bare));
    const auto b = engine.validate(pod_request(with_fields));
    REQUIRE(a.http_status == 200);
    CHECK_FALSE(a.allowed);  // the built-in policy denies this bare Pod: the comparison is not trivial
    CHECK(b.body == a.body);
    const auto bad = engine.validate(pod_request(R"({"kind":"Pod","metadata":{"managedFields":[1,]},"spec":{}})"));
    CHECK(bad.http_status == 400);
    CHECK(bad.error.find("AdmissionReview: not valid JSON: ") == 0);
  }
}
