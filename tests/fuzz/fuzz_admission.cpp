// AdmissionReview decode + evaluate + encode with the built-in policy: any bytes must give either a
// 400 with an error or a well-formed AdmissionReview whose uid is the request's; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy_io.hpp"

using namespace gopreflight::webhook;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Engine engine(builtin_policy());
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const ReviewOutcome out = engine.validate(body);
  if (out.http_status == 200) {
    // A decision was made: the body must be JSON with response.uid == the uid we decoded.
    const auto j = nlohmann::json::parse(out.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("response")) std::abort();
    const auto& resp = j["response"];
    if (!resp.contains("uid") || resp["uid"] != out.uid) std::abort();
    if (!resp.contains("allowed") || !resp["allowed"].is_boolean() || resp["allowed"].get<bool>() != out.allowed) std::abort();
  } else if (out.error.empty()) {
    std::abort();  // a refusal must say why
  }
  return 0;
}
