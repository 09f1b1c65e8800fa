// /validate leaves out what no rule reads (engine.cpp, ReviewFilter): the answer must be exactly
// the one for the whole review, malformed or too deep left-out members must still be refused,
// and an UPDATE must still see whole Pod templates.
#include <doctest/doctest.h>

#include <string>

#include "gopreflight/webhook/json_reader.hpp"
#include "gopreflight/webhook/policy_io.hpp"
#include "helpers.hpp"

using namespace gp_test;

namespace {

/// A Deployment the built-in policy denies (no securityContext), with `extra_container` and
/// `extra_spec` spliced into its container and Pod spec.
std::string deployment(const std::string& extra_container = "", const std::string& extra_spec = "") {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"ns"},)"
         R"("spec":{"replicas":1,"selector":{"matchLabels":{"app":"d"}},"strategy":{"type":"Recreate"},)"
         R"("template":{"metadata":{"labels":{"app":"d"}},"spec":{)" +
         extra_spec + R"("containers":[{"name":"app","image":"registry.example/app:1")" + extra_container +
         "}]}}}}";
}

/// request members before `object` (operation among them), then the object, then `after`.
std::string review(const std::string& operation, const std::string& object, const std::string& old_object = "",
                   const std::string& after = "") {
  std::string r = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",)"
                  R"("kind":{"group":"apps","version":"v1","kind":"Deployment"},)"
                  R"("resource":{"group":"apps","version":"v1","resource":"deployments"},)"
                  R"("requestKind":{"group":"apps","version":"v1","kind":"Deployment"},"name":"d","namespace":"ns",)";
  if (!operation.empty()) r += R"("operation":")" + operation + R"(",)";
  r += R"("userInfo":{"username":"alice","groups":["devs"],"extra":{"k":["v"]}},"object":)" + object;
  if (!old_object.empty()) r += R"(,"oldObject":)" + old_object;
  r += after + R"(,"options":{"kind":"CreateOptions"}})";
  return r + "}";
}

}  // namespace

TEST_SUITE("engine") {
  TEST_CASE("CREATE: members no rule reads change nothing in the answer, whatever their type") {
    const Engine engine(builtin_policy());
    const auto bare = engine.validate(review("CREATE", deployment()));
    REQUIRE(bare.http_status == 200);
    REQUIRE_FALSE(bare.allowed);  // denied: comparing answers is not trivial
    for (const std::string& extra : {std::string(R"(,"args":["--a"],"command":["/app"],"volumeMounts":[{"name":"v","mountPath":"/v"}])"),
                                    std::string(R"(,"args":5,"imagePullPolicy":{"x":1},"tty":"yes","resizePolicy":null)"),
                                    std::string(R"(,"terminationMessagePath":[],"workingDir":1.5,"stdin":"x")")}) {
      CAPTURE(extra);
      const auto with = engine.validate(review("CREATE", deployment(extra)));
      CHECK(with.http_status == 200);
      CHECK(with.body == bare.body);
    }
    const auto spec_extra = engine.validate(review(
        "CREATE", deployment("", R"("affinity":{"nodeAffinity":{}},"tolerations":[{"key":"k"}],"dnsPolicy":7,)"
                                 R"("topologySpreadConstraints":"x","serviceAccountName":"sa","nodeSelector":[],)")));
    CHECK(spec_extra.body == bare.body);
  }

  TEST_CASE("CREATE: a malformed or too deep member that is left out is refused as before") {
    const Engine engine(builtin_policy());
    for (const std::string& bad : {std::string(R"(,"args":[1,])"), std::string(R"(,"volumeMounts":{"a" 1})"),
                                  std::string(",\"command\":[\"\xff\"]"), std::string(R"(,"stdin":tru)")}) {
      CAPTURE(bad);
      const std::string body = review("CREATE", deployment(bad));
      const auto out = engine.validate(body);
      CHECK(out.http_status == 400);
      CHECK(out.error == "AdmissionReview: " + gopreflight::webhook::read_json(body).error);
    }
    const std::string deep = R"(,"args":)" + std::string(300, '[') + std::string(300, ']');
    const auto out = engine.validate(review("CREATE", deployment(deep)));
    CHECK(out.http_status == 400);
    CHECK(out.error.find("JSON nests deeper than 256 levels") != std::string::npos);
    const auto bad_status = engine.validate(review("CREATE", deployment(), "", R"(,"status":{"a":[}])"));
    CHECK(bad_status.http_status == 400);
  }

  TEST_CASE("UPDATE compares whole Pod templates: a change only in unread members is still judged") {
    const Engine engine(builtin_policy());
    const std::string old_d = deployment(R"(,"args":["--old"])");
    const auto same = engine.validate(review("UPDATE", old_d, old_d));
    CHECK(same.http_status == 200);
    CHECK(same.allowed);  // the template did not change: allowed unjudged
    const auto changed = engine.validate(review("UPDATE", deployment(R"(,"args":["--new"])"), old_d));
    CHECK(changed.http_status == 200);
    CHECK_FALSE(changed.allowed);  // args changed: the template is judged, and denied
    // The operation read after the object, or a CREATE replaced by a later duplicate UPDATE:
    // the review is read again whole, so the answer is the same as above.
    const std::string no_op_first = review("", deployment(R"(,"args":["--new"])"), old_d, R"(,"operation":"UPDATE")");
    CHECK(engine.validate(no_op_first).body == changed.body);
    const std::string dup = review("CREATE", deployment(R"(,"args":["--new"])"), old_d, R"(,"operation":"UPDATE")");
    CHECK(engine.validate(dup).body == changed.body);
    const std::string dup_same = review("CREATE", old_d, old_d, R"(,"operation":"UPDATE")");
    const auto dup_same_out = engine.validate(dup_same);
    CHECK(dup_same_out.allowed);
    CHECK(dup_same_out.body == same.body);
  }

  TEST_CASE("the Pod spec of every workload kind is left out of the same members") {
    const Engine engine(builtin_policy());
    // CronJob (spec.jobTemplate.spec.template.spec) and PodTemplate (template.spec): unread
    // members change nothing; a read member (securityContext) still does.
    const auto cron = [](const std::string& extra) {
      return R"({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c"},"spec":{"schedule":"* * * * *",)"
             R"("jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"a","image":"x")" +
             extra + "}]}}}}}}";
    };
    const auto cron_review = [](const std::string& object) {
      return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"batch","version":"v1","kind":"CronJob"},"operation":"CREATE","object":)" +
             object + "}}";
    };
    const auto bare = engine.validate(cron_review(cron("")));
    REQUIRE(bare.http_status == 200);
    CHECK(engine.validate(cron_review(cron(R"(,"args":[1],"tty":"x")"))).body == bare.body);
    const auto privileged = engine.validate(cron_review(cron(R"(,"securityContext":{"privileged":true})")));
    CHECK(privileged.body != bare.body);
    const auto tpl = [](const std::string& extra) {
      return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"PodTemplate"},"operation":"CREATE","object":{"kind":"PodTemplate","template":{"spec":{"containers":[{"name":"a","image":"x")" +
             extra + "}]}}}}}";
    };
    const auto tpl_bare = engine.validate(tpl(""));
    REQUIRE(tpl_bare.http_status == 200);
    CHECK(engine.validate(tpl(R"(,"volumeMounts":"x")")).body == tpl_bare.body);
  }
}
