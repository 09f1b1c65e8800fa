// Invariant: an admitted workload can create its Pods. For every workload in the test fixtures,
// and generated variants (opt-in label/annotation true/false/absent, injection on/off, namespaces
// listed, "*" or not, Windows), the workload's verdict equals the verdict on the Pod its
// controller would create, after that Pod went through Engine::mutate (the real /mutate path:
// AdmissionReview in, JSONPatch out, applied here as the API server does).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "gopreflight/webhook/pod_decode.hpp"
#include "gopreflight/webhook/review.hpp"
#include "helpers.hpp"

using namespace gp_test;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string base64_decode(const std::string& in) {
  static const std::string table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int n = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto pos = table.find(c);
    REQUIRE(pos != std::string::npos);
    bits = (bits << 6) | static_cast<unsigned>(pos);
    n += 6;
    if (n >= 8) {
      n -= 8;
      out.push_back(static_cast<char>((bits >> n) & 0xFFu));
    }
  }
  return out;
}

/// The Pod template of a workload as JSON (null when it has none), where each kind keeps it.
json template_of(const json& workload, const std::string& kind) {
  const char* at = kind == "CronJob" ? "/spec/jobTemplate/spec/template" : kind == "PodTemplate" ? "/template" : "/spec/template";
  const json::json_pointer ptr(at);
  if (!workload.contains(ptr) || !workload.at(ptr).is_object() || !workload.at(ptr).contains("spec")) return nullptr;
  return workload.at(ptr);
}

struct Workload {
  std::string source;
  json object;
};

/// Every workload object (a kind with a Pod template) under tests/: manifests read by `review`'s
/// reader, and the objects inside the AdmissionReview fixtures.
std::vector<Workload> workloads() {
  const fs::path root = GP_TESTS_ROOT;
  std::vector<Workload> out;
  auto keep = [&](const std::string& source, const json& o) {
    if (!o.is_object() || !o.contains("kind") || !o["kind"].is_string()) return;
    const std::string kind = o["kind"];
    if (kind == "Pod" || !is_pod_kind(kind)) return;
    if (template_of(o, kind).is_null()) return;  // no template: no Pods
    out.push_back({source, o});
  };
  for (const char* dir : {"testdata/review", "e2e/manifests"}) {
    std::istringstream no_stdin;
    const review::Manifests m = review::read_inputs({(root / dir).string()}, no_stdin);
    for (const auto& o : m.objects) keep(o.file, o.object);
  }
  for (const char* dir : {"testdata/admission", "testdata/pss", "server/testdata", "bench/engine"}) {
    for (const auto& e : fs::directory_iterator(root / dir)) {
      if (e.path().extension() != ".json") continue;
      const json j = json::parse(read_file(e.path()), nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("request") && j["request"].is_object() && j["request"].contains("object")) {
        keep(e.path().string(), j["request"]["object"]);
      } else {
        keep(e.path().string(), j);
      }
    }
  }
  return out;
}

/// The Pod a controller creates from the workload's template.
json pod_of(const json& workload, const std::string& ns) {
  const std::string kind = workload.at("kind");
  const json tpl = template_of(workload, kind);
  REQUIRE(tpl.is_object());
  json md = tpl.contains("metadata") && tpl["metadata"].is_object() ? tpl["metadata"] : json::object();
  md["namespace"] = ns;
  md.erase("name");
  md["generateName"] = "made-by-controller-";
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", md}, {"spec", tpl["spec"]}};
}

/// The Pod after POST /mutate, the patch applied.
json mutated(const Engine& engine, const json& pod, const std::string& ns) {
  const json review = {{"apiVersion", "admission.k8s.io/v1"},
                       {"kind", "AdmissionReview"},
                       {"request",
                        {{"uid", "00000000-0000-0000-0000-000000000001"},
                         {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
                         {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
                         {"namespace", ns},
                         {"operation", "CREATE"},
                         {"userInfo", {{"username", "system:serviceaccount:kube-system:replicaset-controller"}}},
                         {"object", pod}}}};
  const ReviewOutcome out = engine.mutate(review.dump());
  REQUIRE(out.http_status == 200);
  const json reply = json::parse(out.body);
  const json& resp = reply.at("response");
  REQUIRE(resp.at("allowed") == true);
  if (!resp.contains("patch")) return pod;
  return pod.patch(json::parse(base64_decode(resp.at("patch"))));
}

/// The verdict: readable or not, allowed or not, and which rule/check denied (paths differ by
/// the template prefix and by the injected container's index, so they are left out).
std::string verdict(const ObjectDecision& d) {
  if (!d.error.empty()) return "error";
  std::multiset<std::string> denied;
  for (const auto& f : d.violations) denied.insert(f.rule + "/" + f.check);
  std::string s = d.allowed ? "allowed" : "denied";
  for (const auto& x : denied) s += " " + x;
  return s;
}

}  // namespace

TEST_SUITE("invariant") {
  TEST_CASE("a workload's verdict equals its Pod's verdict after /mutate, for every fixture and variant") {
    const std::vector<Workload> all = workloads();
    REQUIRE(all.size() >= 10);  // the fixtures are there (a wrong root would find none)

    std::string err;
    auto builtin = Engine::load(std::nullopt, err);
    REQUIRE(builtin != nullptr);

    // Base policies: the built-in one (PSS restricted, sysctls, goRuntime), and with initCheck.
    std::vector<Policy> bases;
    bases.push_back(builtin->policy());
    Policy with_init = builtin->policy();
    with_init.init_check = Policy::InitCheckRequired{};
    bases.push_back(with_init);
    Policy only_init;
    only_init.init_check = Policy::InitCheckRequired{};
    bases.push_back(only_init);
    Policy other_name = only_init;  // requires a container the injector does not add
    other_name.init_check->container_name = "preflight";
    bases.push_back(other_name);
    Policy user_range = only_init;  // a runAsUser range the injected container's 65532 is outside of
    Policy::SecurityContextRule sc;
    sc.run_as_non_root = true;
    sc.run_as_user_min = 100000;
    sc.read_only_root_filesystem = true;
    sc.allow_privilege_escalation = false;
    user_range.security_context = sc;
    bases.push_back(user_range);

    const std::vector<std::vector<std::string>> ns_lists = {{}, {"NS"}, {"*"}, {"elsewhere"}};
    const std::vector<std::pair<const char*, const char*>> opt = {
        {nullptr, nullptr}, {"labels", "true"}, {"labels", "false"}, {"annotations", "true"}, {"annotations", "false"}};

    std::size_t pairs = 0, injected = 0, denied = 0;
    std::map<std::string, std::size_t> mismatches;
    for (const Workload& w : all) {
      for (bool windows : {false, true}) {
        for (const auto& [where, value] : opt) {
          json object = w.object;
          const std::string kind = object.at("kind");
          {
            // Edit the template where the kind keeps it.
            json* tmpl = nullptr;
            if (kind == "CronJob") {
              tmpl = &object["spec"]["jobTemplate"]["spec"]["template"];
            } else if (kind == "PodTemplate") {
              tmpl = &object["template"];
            } else {
              tmpl = &object["spec"]["template"];
            }
            if (windows) (*tmpl)["spec"]["os"] = {{"name", "windows"}};
            if (where != nullptr) (*tmpl)["metadata"][where]["gopreflight.io/inject"] = value;
          }
          std::string ns = "shop";
          if (object.contains("metadata") && object["metadata"].is_object() &&
              object["metadata"].contains("namespace") && object["metadata"]["namespace"].is_string()) {
            ns = object["metadata"]["namespace"];
          }
          const json pod = pod_of(object, ns);
          for (const Policy& base : bases) {
            for (bool enabled : {false, true}) {
              for (const auto& list : ns_lists) {
                for (bool go_env : {false, true}) {
                  auto p = std::make_shared<Policy>(base);
                  p->injection.enabled = enabled;
                  p->injection.set_go_env = go_env;
                  p->injection.namespaces.clear();
                  for (const auto& n : list) p->injection.namespaces.push_back(n == "NS" ? ns : n);
                  const Engine engine(p);
                  RequestInfo info;
                  info.ns = ns;
                  const ObjectDecision dw = engine.evaluate_object(object, info);
                  const json after = mutated(engine, pod, ns);
                  const ObjectDecision dp = engine.evaluate_object(after, info);
                  ++pairs;
                  if (after != pod) ++injected;
                  if (!dw.allowed) ++denied;
                  const std::string vw = verdict(dw), vp = verdict(dp);
                  if (vw != vp) {
                    const std::string key = w.source + " " + kind + (windows ? " windows" : "") + " " +
                                            (where ? std::string(where) + "=" + value : std::string("no key")) +
                                            " enabled=" + (enabled ? "1" : "0") + " ns=" +
                                            std::to_string(list.size()) + (list.empty() ? "" : list[0]) +
                                            " init=" + (p->init_check ? "1" : "0") + ": workload " + vw +
                                            " / pod " + vp;
                    ++mismatches[key];
                  }
                }
              }
            }
          }
        }
      }
    }
    MESSAGE(all.size() << " workloads, " << pairs << " workload/Pod pairs, " << injected << " Pods injected, "
                       << denied << " workloads denied");
    // The variants really exercise both sides: some Pods injected, some workloads denied.
    CHECK(injected > 0);
    CHECK(denied > 0);
    for (const auto& [k, n] : mismatches) FAIL_CHECK(k << " (" << n << "x)");
    CHECK(mismatches.empty());
  }
}
