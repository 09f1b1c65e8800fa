// Policy loading: every key, every kind of error with its exact line:col, the built-in policy.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "gopreflight/webhook/policy_io.hpp"

using namespace gopreflight::webhook;

namespace {

const std::string kHead = "apiVersion: gopreflight.io/v1alpha1\nkind: Policy\n";

std::vector<std::string> problems(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& p : parse_policy(text, "p.yaml").problems) out.push_back(p.str());
  return out;
}

}  // namespace

TEST_SUITE("policy_load") {
  TEST_CASE("the built-in policy is PSS restricted at latest, the two Pod-settable sysctls, Go rules, kube-system exempt") {
    auto p = builtin_policy();
    REQUIRE(p->pod_security);
    CHECK(p->pod_security->level == pss::Level::restricted);
    CHECK(p->pod_security->version.latest);
    CHECK(p->pod_security->mode == Mode::enforce);
    REQUIRE(p->required_sysctls.size() == 2);
    CHECK(p->required_sysctls[0].name == "net.ipv4.ip_local_port_range");
    CHECK(p->required_sysctls[0].equals == std::optional<std::string>("1024 65535"));
    CHECK(p->required_sysctls[1].name == "net.ipv4.tcp_fin_timeout");
    CHECK(p->required_sysctls[1].max == std::optional<long long>(30));
    CHECK_FALSE(p->required_sysctls[1].min);
    REQUIRE(p->go_runtime);
    CHECK(p->go_runtime->mode == Mode::enforce);
    CHECK(p->exemptions.namespaces == std::vector<std::string>{"kube-system"});
    CHECK_FALSE(p->security_context);
    CHECK_FALSE(p->init_check);
    CHECK_FALSE(p->injection.enabled);
    CHECK(p->source == "built-in");
    // The recommended policy must pass its own lint.
    CHECK(lint_policy(*p, PolicyMarks{}).empty());
  }

  TEST_CASE("every key of full.yaml is read") {
    auto r = load_policy_file(GP_POLICY_TESTDATA "/full.yaml");
    INFO(join_problems(r.problems));
    REQUIRE(r.problems.empty());
    REQUIRE(r.policy);
    const Policy& p = *r.policy;
    CHECK(p.source == GP_POLICY_TESTDATA "/full.yaml");
    REQUIRE(p.pod_security);
    CHECK(p.pod_security->level == pss::Level::baseline);
    CHECK_FALSE(p.pod_security->version.latest);
    CHECK(p.pod_security->version.minor == 29);
    CHECK(p.pod_security->mode == Mode::warn);

    REQUIRE(p.required_sysctls.size() == 3);
    CHECK(p.required_sysctls[0].equals == std::optional<std::string>("1024 65535"));  // whitespace normalised
    CHECK(p.required_sysctls[0].mode == Mode::enforce);
    CHECK(p.required_sysctls[1].max == std::optional<long long>(30));
    CHECK(p.required_sysctls[1].mode == Mode::audit);
    CHECK(p.required_sysctls[2].min == std::optional<long long>(60));
    CHECK(p.required_sysctls[2].max == std::optional<long long>(600));

    REQUIRE(p.security_context);
    CHECK(p.security_context->mode == Mode::warn);
    CHECK(p.security_context->read_only_root_filesystem == std::optional<bool>(true));
    CHECK(p.security_context->run_as_non_root == std::optional<bool>(true));
    CHECK(p.security_context->allow_privilege_escalation == std::optional<bool>(false));
    CHECK(p.security_context->run_as_user_min == std::optional<long long>(1000));
    CHECK(p.security_context->run_as_user_max == std::optional<long long>(65535));
    CHECK(p.security_context->run_as_group_min == std::optional<long long>(1000));
    CHECK_FALSE(p.security_context->run_as_group_max);

    REQUIRE(p.go_runtime);
    CHECK(p.go_runtime->mode == Mode::warn);
    CHECK(p.go_runtime->go_container_annotation == "example.com/go");
    CHECK(p.go_runtime->gomemlimit_ratio == doctest::Approx(0.85));

    REQUIRE(p.init_check);
    CHECK(p.init_check->mode == Mode::audit);
    CHECK(p.init_check->namespaces == std::vector<std::string>{"shop", "payments"});
    CHECK(p.init_check->container_name == "preflight");

    CHECK(p.exemptions.namespaces == std::vector<std::string>{"kube-system", "monitoring"});
    CHECK(p.exemptions.usernames == std::vector<std::string>{"system:serviceaccount:kube-system:replicaset-controller"});
    CHECK(p.exemptions.runtime_classes == std::vector<std::string>{"gvisor"});

    CHECK(p.injection.enabled);
    CHECK(p.injection.namespaces == std::vector<std::string>{"shop"});
    CHECK(p.injection.opt_in_key == "example.com/inject");
    CHECK(p.injection.image == "registry.example.com/gopreflight:1.2.3");
    CHECK(p.injection.args == std::vector<std::string>{"--probe", "db=tcp://postgres:5432"});
    CHECK(p.injection.cpu_request == "20m");
    CHECK(p.injection.memory_request == "24Mi");
    CHECK(p.injection.cpu_limit == "200m");
    CHECK(p.injection.memory_limit == "64Mi");
    CHECK(p.injection.set_go_env);
  }

  TEST_CASE("JSON policies parse like YAML ones (the issue's example)") {
    auto r = load_policy_file(GP_POLICY_TESTDATA "/full.json");
    INFO(join_problems(r.problems));
    REQUIRE(r.policy);
    CHECK(r.policy->pod_security->level == pss::Level::restricted);
    REQUIRE(r.policy->required_sysctls.size() == 2);
    CHECK(r.policy->required_sysctls[1].name == "net.core.somaxconn");
    CHECK(r.policy->required_sysctls[1].min == std::optional<long long>(1024));
    CHECK(r.policy->required_sysctls[1].mode == Mode::warn);
    CHECK(r.policy->exemptions.usernames.empty());
  }

  TEST_CASE("absent sections are off; defaults of present ones") {
    auto r = parse_policy(kHead + "podSecurity: {}\ngoRuntime: {}\n", "p.yaml");
    REQUIRE(r.policy);
    CHECK(r.policy->pod_security->level == pss::Level::restricted);
    CHECK(r.policy->pod_security->version.latest);
    CHECK(r.policy->go_runtime->gomemlimit_ratio == doctest::Approx(0.9));
    CHECK(r.policy->go_runtime->go_container_annotation == "gopreflight.io/go-containers");
    CHECK(r.policy->required_sysctls.empty());
    CHECK_FALSE(r.policy->security_context);
    CHECK_FALSE(r.policy->init_check);
    CHECK(r.policy->exemptions.namespaces.empty());

    auto bare = parse_policy(kHead, "p.yaml");
    REQUIRE(bare.policy);
    CHECK_FALSE(bare.policy->pod_security);
    CHECK_FALSE(bare.policy->go_runtime);
    CHECK(bare.policy->unsettable_sysctls_mode == Mode::enforce);  // rule 3 is always on

  }

  TEST_CASE("a section with no value is an error, never off (a file read mid-write, issue 10)") {
    for (const char* key : {"podSecurity", "requiredSysctls", "securityContext", "goRuntime", "initCheck",
                            "exemptions", "injection"}) {
      CAPTURE(key);
      for (const char* value : {"", " ~", " null"}) {
        const auto r = parse_policy(kHead + key + ":" + value + "\n", "p.yaml");
        CHECK_FALSE(r.policy);
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].str().rfind("p.yaml:3:", 0) == 0);
        CHECK(r.problems[0].str().find(std::string(key) + ": the section has no value") != std::string::npos);
      }
    }
    // The torn write of issue 10: the file cut right after "podSecurity:".
    const auto torn = parse_policy(kHead + "podSecurity:", "p.yaml");
    CHECK_FALSE(torn.policy);
    // Explicit ways to say "nothing" stay valid.
    CHECK(parse_policy(kHead + "requiredSysctls: []\n", "p.yaml").policy);
    CHECK(parse_policy(kHead + "podSecurity: {level: privileged}\n", "p.yaml").policy);
  }

  TEST_CASE("each error names file:line:col and the key") {
    struct Case {
      const char* body;
      const char* want;
    };
    const Case cases[] = {
        {"podSecurity: {level: strict}\n", "p.yaml:3:22: podSecurity.level: \"strict\" is not a Pod Security Standards level"},
        {"podSecurity: {version: v1.38}\n", "p.yaml:3:24: podSecurity.version: \"v1.38\" is not a Pod Security Standards version"},
        {"podSecurity: {version: 1.25}\n", "p.yaml:3:24: podSecurity.version: \"1.25\" is not"},
        {"podSecurity: {mode: deny}\n", "p.yaml:3:21: podSecurity.mode: \"deny\" is not a mode; expected enforce, warn or audit"},
        {"podSecurity: {levle: baseline}\n", "p.yaml:3:15: unknown key \"levle\" in podSecurity; expected one of: level, version, mode"},
        {"podSecurity: restricted\n", "p.yaml:3:14: podSecurity: expected a mapping, found a string (restricted)"},
        {"podsecurity: {}\n", "p.yaml:3:1: unknown key \"podsecurity\" in the policy"},
        {"requiredSysctls: {name: x}\n", "p.yaml:3:18: requiredSysctls: expected a list"},
        {"requiredSysctls:\n  - {name: net.ipv4.tcp_fin_timeout, max: thirty}\n",
         "p.yaml:4:43: requiredSysctls[0].max: expected an integer, found a string (thirty)"},
        {"requiredSysctls:\n  - {name: net.ipv4.tcp_fin_timeout, max: \"30\"}\n",
         "p.yaml:4:43: requiredSysctls[0].max: expected an integer, found a string (30)"},
        {"requiredSysctls:\n  - {name: net..ipv4, max: 1}\n", "p.yaml:4:12: requiredSysctls[0].name: \"net..ipv4\" is not a sysctl name"},
        {"requiredSysctls:\n  - {name: NET.core.x, max: 1}\n", "p.yaml:4:12: requiredSysctls[0].name: \"NET.core.x\" is not a sysctl name"},
        {"requiredSysctls:\n  - {name: net.core.somaxconn}\n", "p.yaml:4:5: requiredSysctls[0] (net.core.somaxconn): set min, max or equals"},
        {"requiredSysctls:\n  - {name: net.core.somaxconn, equals: \"1\", min: 1}\n",
         "p.yaml:4:5: requiredSysctls[0] (net.core.somaxconn): use either equals or min/max, not both"},
        {"requiredSysctls:\n  - {name: net.core.somaxconn, min: 9, max: 2}\n",
         "p.yaml:4:5: requiredSysctls[0] (net.core.somaxconn): min 9 is greater than max 2"},
        {"requiredSysctls:\n  - {name: net.core.somaxconn, equals: \"  \"}\n", "p.yaml:4:40: requiredSysctls[0].equals: must not be empty"},
        {"requiredSysctls:\n  - {max: 3}\n", "p.yaml:4:5: requiredSysctls[0]: missing name"},
        {"requiredSysctls:\n  - net.core.somaxconn\n", "p.yaml:4:5: requiredSysctls[0]: expected a mapping, found a string"},
        {"requiredSysctls:\n  - {name: net.core.somaxconn, min: 1}\n  - {name: net.core.somaxconn, min: 2}\n",
         "p.yaml:5:5: requiredSysctls[1]: net.core.somaxconn is already required by requiredSysctls[0]"},
        {"requiredSysctls:\n  - {name: net.core.somaxconn, min: 1, mode: strict}\n",
         "p.yaml:4:46: requiredSysctls[0].mode: \"strict\" is not a mode"},
        {"securityContext: {runAsNonRoot: 1}\n", "p.yaml:3:33: securityContext.runAsNonRoot: expected true or false, found an integer (1)"},
        {"securityContext: {runAsUser: {min: -5}}\n", "p.yaml:3:36: securityContext.runAsUser.min: -5 is not a valid id"},
        {"securityContext: {runAsUser: {min: 10, max: 5}}\n",
         "p.yaml:3:30: securityContext.runAsUser: min 10 is greater than max 5"},
        {"securityContext: {runAsGroup: {}}\n", "p.yaml:3:31: securityContext.runAsGroup: set min and/or max"},
        {"securityContext: {runAsGroup: {max: 4294967296}}\n", "p.yaml:3:37: securityContext.runAsGroup.max: 4294967296 is not a valid id"},
        {"securityContext: {readOnly: true}\n", "p.yaml:3:19: unknown key \"readOnly\" in securityContext"},
        {"goRuntime: {gomemlimitRatio: 0}\n", "p.yaml:3:30: goRuntime.gomemlimitRatio: 0 is out of range"},
        {"goRuntime: {gomemlimitRatio: ninety}\n", "p.yaml:3:30: goRuntime.gomemlimitRatio: expected a number"},
        {"goRuntime: {goContainersAnnotation: \"not a key\"}\n",
         "p.yaml:3:37: goRuntime.goContainersAnnotation: \"not a key\" is not an annotation key"},
        {"initCheck: {containerName: Init_Check}\n", "p.yaml:3:28: initCheck.containerName: \"Init_Check\" is not a container name"},
        {"initCheck: {namespaces: [shop, Bad_NS]}\n", "p.yaml:3:32: initCheck.namespaces[1]: \"Bad_NS\" is not a namespace name"},
        {"exemptions: {namespaces: kube-system}\n", "p.yaml:3:26: exemptions.namespaces: expected a list, found a string"},
        {"exemptions: {usernames: [1]}\n", "p.yaml:3:26: exemptions.usernames[0]: expected a string, found an integer (1)"},
        {"injection: {enabled: maybe}\n", "p.yaml:3:22: injection.enabled: expected true or false"},
        {"injection: {resources: {limits: {memory: lots}}}\n",
         "p.yaml:3:42: injection.resources.limits.memory: \"lots\" is not a Kubernetes quantity"},
        {"injection: {resources: {requests: {cpu: 2}, limits: {cpu: 1}}}\n",
         "p.yaml:3:24: injection.resources: requests.cpu is greater than limits.cpu"},
        {"injection: {resources: {requests: {gpu: 1}}}\n", "p.yaml:3:36: unknown key \"gpu\" in injection.resources.requests"},
        {"injection: {image: \"\"}\n", "p.yaml:3:20: injection.image: \"\" is not an image reference"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.body);
      const auto got = problems(kHead + c.body);
      REQUIRE_FALSE(got.empty());
      INFO("got: " << got[0]);
      CHECK(got[0].rfind(c.want, 0) == 0);
      CHECK_FALSE(parse_policy(kHead + c.body, "p.yaml").policy);  // never a half-read policy
    }
  }

  TEST_CASE("apiVersion, kind and the document shape") {
    CHECK(problems("kind: Policy\n") == std::vector<std::string>{"p.yaml:1:1: missing apiVersion: gopreflight.io/v1alpha1"});
    CHECK(problems("apiVersion: gopreflight.io/v1alpha1\n") == std::vector<std::string>{"p.yaml:1:1: missing kind: Policy"});
    CHECK(problems("apiVersion: v1\nkind: Policy\n") ==
          std::vector<std::string>{"p.yaml:1:13: apiVersion: \"v1\" is not supported; expected gopreflight.io/v1alpha1"});
    CHECK(problems(kHead + "kind: Policy\n")[0] == "p.yaml:3:1: kind: duplicate key");
    CHECK(problems("") == std::vector<std::string>{"p.yaml:1:1: empty policy; expected apiVersion: gopreflight.io/v1alpha1 and kind: Policy"});
    CHECK(problems("- a\n- b\n")[0] == "p.yaml:1:1: policy: expected a mapping, found a sequence");
    CHECK(problems(kHead + "---\n" + kHead)[0] == "p.yaml:4:1: a policy file holds one document; found a second one here");
    const auto bad_yaml = problems(kHead + "podSecurity: {level: [\n");
    REQUIRE(bad_yaml.size() == 1);
    CHECK(bad_yaml[0].rfind("p.yaml:4:1: YAML: ", 0) == 0);
  }

  TEST_CASE("every problem is reported, in file order (errors.yaml)") {
    auto r = load_policy_file(GP_POLICY_TESTDATA "/errors.yaml");
    CHECK_FALSE(r.unreadable);
    CHECK_FALSE(r.policy);
    std::vector<std::string> at;
    for (const auto& p : r.problems) at.push_back(std::to_string(p.line) + ":" + std::to_string(p.col));
    CHECK(at == std::vector<std::string>{"1:13", "3:22", "3:39", "3:52", "5:12", "6:5", "7:5", "7:43", "8:5",
                                         "10:20", "11:27", "12:30", "12:35", "13:26"});
  }

  TEST_CASE("unreadable files are told apart from bad ones") {
    auto missing = load_policy_file(GP_POLICY_TESTDATA "/does-not-exist.yaml");
    CHECK(missing.unreadable);
    REQUIRE(missing.problems.size() == 1);
    CHECK(missing.problems[0].str() == GP_POLICY_TESTDATA "/does-not-exist.yaml: no such file");
    auto dir = load_policy_file(GP_POLICY_TESTDATA);
    CHECK(dir.unreadable);
    CHECK(dir.problems[0].message == "not a regular file");
  }

  TEST_CASE("Engine::load: built-in without a path, errors as file:line:col") {
    std::string err;
    auto builtin = Engine::load(std::nullopt, err);
    REQUIRE(builtin);
    CHECK(err.empty());
    CHECK(builtin->policy().source == "built-in");
    CHECK(builtin->policy().required_sysctls.size() == 2);

    auto full = Engine::load(std::string(GP_POLICY_TESTDATA "/full.yaml"), err);
    REQUIRE(full);
    CHECK(full->policy().pod_security->level == pss::Level::baseline);

    auto bad = Engine::load(std::string(GP_POLICY_TESTDATA "/errors.yaml"), err);
    CHECK_FALSE(bad);
    CHECK(err.rfind(GP_POLICY_TESTDATA "/errors.yaml:1:13: apiVersion:", 0) == 0);
    CHECK(err.find("\n" GP_POLICY_TESTDATA "/errors.yaml:13:26: exemptions.namespaces") != std::string::npos);
  }

  TEST_CASE("hostile policy text gets a clear error, not a crash") {
    const std::string deep = kHead + "podSecurity: " + std::string(100000, '[') + "\n";
    const auto d = problems(deep);
    REQUIRE(d.size() == 1);
    CHECK(d[0] == "p.yaml:3:20012: more than 20000 lines and list/map items; the input is too large");
    const auto d2 = problems(kHead + "podSecurity: " + std::string(1000, '[') + "\n");
    REQUIRE(d2.size() == 1);
    CHECK(d2[0].find("nesting too deep") != std::string::npos);

    const auto utf = problems(kHead + "podSecurity: {level: \"restr\xC3\x28\"}\n");
    REQUIRE(utf.size() == 1);
    CHECK(utf[0] == "p.yaml:3:28: invalid UTF-8 (byte 0xC3); YAML and JSON input must be UTF-8");

    const auto big = problems(kHead + "exemptions: {usernames: [" + std::string(2u << 20, 'a') + "]}\n");
    REQUIRE(big.size() == 1);
    CHECK(big[0].find("the limit is 1048576") != std::string::npos);

    const auto bomb = problems(kHead +
                               "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                               "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n");
    CHECK_FALSE(bomb.empty());  // unknown keys a..d: the aliases are never expanded
  }
}
