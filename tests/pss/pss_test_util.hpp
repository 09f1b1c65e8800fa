#pragma once
// Helpers for the PSS tests: load fixtures, apply JSON Patch edits, evaluate, and render the
// violations as sorted "checkId@path" strings so a table row can state the exact expectation.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/pod_decode.hpp"
#include "gopreflight/webhook/pss.hpp"

namespace pss_test {

namespace pss = gopreflight::webhook::pss;
using nlohmann::json;

inline json load_fixture(const std::string& name) {
  std::ifstream in(std::string(GP_PSS_TESTDATA) + "/" + name);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

inline pss::Version version(const std::string& v) {
  auto parsed = pss::Version::parse(v);
  if (!parsed) throw std::runtime_error("bad version in test table: " + v);
  return *parsed;
}

inline pss::Level level(const std::string& l) {
  auto parsed = pss::parse_level(l);
  if (!parsed) throw std::runtime_error("bad level in test table: " + l);
  return *parsed;
}

/// Evaluates a Pod object ({metadata, spec}) as the engine does: decoded into the model first. A
/// Pod the decoder refuses (a wrong type, named by its path) gives one "invalidType" violation at
/// that path: the engine refuses such a review (400), so nothing is allowed.
inline std::vector<pss::Violation> eval_pod(const json& pod, const std::string& lvl,
                                            const std::string& ver) {
  if (level(lvl) == pss::Level::privileged) return pss::evaluate(level(lvl), version(ver), {});
  auto view = gopreflight::webhook::decode_pod_json(pod);
  if (!view) {
    const std::string& e = view.error();
    return {pss::Violation{std::string(pss::kInvalidTypeCheckId), lvl, e.substr(0, e.find(": ")),
                           "field has the wrong type or is missing: " + e, "", ver}};
  }
  return pss::evaluate(level(lvl), version(ver), *view);
}

/// The model of the Pod template of a workload object.
inline gopreflight::webhook::PodView workload_view(const json& object, const char* kind = "Deployment") {
  auto view = gopreflight::webhook::decode_pod_json(object, kind);
  if (!view) throw std::runtime_error("test workload does not decode: " + view.error());
  return std::move(*view);
}

/// Sorted "checkId@path" of each violation.
inline std::vector<std::string> keys(const std::vector<pss::Violation>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) out.push_back(v.check_id + "@" + v.path);
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string show(const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i];
  return s + "]";
}

}  // namespace pss_test
