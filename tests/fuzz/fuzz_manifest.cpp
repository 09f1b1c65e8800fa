// `review` end to end on arbitrary manifest text: read, judge with the built-in policy, render all
// four formats. Unreadable input must never come out as allowed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy_io.hpp"
#include "gopreflight/webhook/review.hpp"

using namespace gopreflight::webhook;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Engine engine(builtin_policy());
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto manifests = review::read_text(text, "fuzz.yaml");
  const auto report = review::run(engine, manifests);
  if (!manifests.errors.empty() && report.exit_code() != 2) std::abort();
  for (const auto& o : report.objects) {
    if (o.status == review::Status::error && o.reason.empty()) std::abort();
    if (o.status == review::Status::allowed && !o.decision.error.empty()) std::abort();
  }
  const auto replace = nlohmann::json::error_handler_t::replace;
  (void)review::render_text(report);
  (void)review::render_json(report).dump(-1, ' ', false, replace);
  (void)review::render_sarif(report).dump(-1, ' ', false, replace);
  (void)review::render_junit(report);
  return 0;
}
