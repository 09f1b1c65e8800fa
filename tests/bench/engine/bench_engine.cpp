// Admission engine benchmark: read + decode + evaluate + encode of a realistic Deployment
// AdmissionReview (target: median <= 15 us), its parts, and evaluation alone per Pod next to PSA's
// published 4.8 us/Pod.
// Usage: bench_engine [review.json] [--batches N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/json_reader.hpp"
#include "gopreflight/webhook/json_document.hpp"
#include "gopreflight/webhook/pod_decode.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "gopreflight/webhook/pss.hpp"

using namespace gopreflight::webhook;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
  double median, p90, p99, min;
};

/// Runs `fn` in `batches` batches of `per_batch` calls; per-call time of each batch, in us.
/// Small batches keep most samples free of preemption on a shared machine, so the median is
/// the undisturbed cost while p90/p99 show the scheduling noise.
Stats measure(const std::function<void()>& fn, int batches, int per_batch) {
  for (int i = 0; i < 200; ++i) fn();  // warm-up
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(batches));
  for (int b = 0; b < batches; ++b) {
    const auto t0 = Clock::now();
    for (int i = 0; i < per_batch; ++i) fn();
    const auto t1 = Clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / per_batch);
  }
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[static_cast<std::size_t>(q * static_cast<double>(us.size() - 1))]; };
  return {at(0.5), at(0.9), at(0.99), us.front()};
}

void print(const char* what, const Stats& s) {
  std::printf("%-58s median %8.2f us   p90 %8.2f   p99 %8.2f   min %8.2f\n", what, s.median, s.p90, s.p99, s.min);
}

}  // namespace

int run(const std::string& path, int batches, bool full);

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  int batches = 4000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--batches" && i + 1 < argc) {
      batches = std::max(10, std::atoi(argv[++i]));
    } else {
      paths.push_back(a);
    }
  }
  if (!paths.empty()) {
    for (const auto& p : paths) {
      if (int rc = run(p, batches, true); rc != 0) return rc;
    }
    return 0;
  }
  // The golden Deployment as the target's input, then the same Deployment as `kubectl apply` sends
  // it through a real API server (last-applied annotation, managedFields): 9.4 KB.
  if (int rc = run(GP_BENCH_REVIEW, batches, true); rc != 0) return rc;
  std::printf("\n");
  return run(GP_BENCH_APPLY_REVIEW, batches, false);
}

int run(const std::string& path, int batches, bool full) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench_engine: cannot read %s\n", path.c_str());
    return 2;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  // The API server sends compact JSON: benchmark that.
  nlohmann::json review;
  try {
    review = nlohmann::json::parse(ss.str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_engine: %s: %s\n", path.c_str(), e.what());
    return 2;
  }
  const std::string body = review.dump();

  std::string err;
  auto engine = Engine::load(std::nullopt, err);  // the built-in recommended policy
  if (!engine) {
    std::fprintf(stderr, "bench_engine: built-in policy: %s\n", err.c_str());
    return 2;
  }
  const auto first = engine->validate(body);
  if (first.http_status != 200) {
    std::fprintf(stderr, "bench_engine: review rejected: %s\n", first.error.c_str());
    return 2;
  }
  std::printf("input: %s (%zu bytes compact), policy: built-in recommended\n", path.c_str(), body.size());
  std::printf("decision: allowed=%s, rules hit: %zu, response %zu bytes\n", first.allowed ? "true" : "false",
              first.rules_hit.size(), first.body.size());

  volatile std::size_t sink = 0;
  print("validate: decode + evaluate + encode (per review)",
        measure([&] { sink = sink + engine->validate(body).body.size(); }, batches, 1));
  print("  of which reading the JSON: JsonDocument::read (simdjson DOM, duplicate keys checked)",
        measure([&] { sink = sink + (*JsonDocument::read(body))->root().get_object().size(); }, batches, 1));
  {
    auto doc = JsonDocument::read(body);
    const JsonValue object = (*doc)->root()["request"]["object"];
    print("  of which decoding the Pod model (decode_pod)",
          measure([&] { sink = sink + decode_pod(object, "Deployment")->view.spec.containers.size(); }, batches, 4));
  }
  static constexpr std::string_view kUnread[] = {"managedFields"};
  print("  for comparison: read_json (our reader, into nlohmann::json)",
        measure([&] { sink = sink + read_json(body, kMaxJsonDepth, kUnread)->size(); }, batches, 1));
  print("  for comparison: nlohmann::json::parse of the same bytes",
        measure([&] { sink = sink + nlohmann::json::parse(body).size(); }, batches, 1));

  if (!full) return sink == 0xFFFFFFFF ? 1 : 0;

  const nlohmann::json& object = review["request"]["object"];
  RequestInfo info;
  info.ns = "shop";
  print("evaluate_object: all rules on the Pod template (per Pod)",
        measure([&] { sink = sink + engine->evaluate_object(object, info).violations.size(); }, batches, 4));

  auto view = decode_pod_json(object, "Deployment");
  if (!view) {
    std::fprintf(stderr, "bench_engine: %s\n", view.error().c_str());
    return 2;
  }
  const auto latest = pss::Version{};
  print("pss::evaluate restricted/latest alone (per Pod; PSA: 4.8 us)",
        measure([&] { sink = sink + pss::evaluate(pss::Level::restricted, latest, *view).size(); }, batches, 16));
  return sink == 0xFFFFFFFF ? 1 : 0;
}
