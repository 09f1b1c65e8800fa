#pragma once
// Test helpers: Pods from JSON literals, findings by rule/path.
#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/pod_view.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "gopreflight/webhook/rules.hpp"

namespace gp_test {

using nlohmann::json;
using namespace gopreflight::webhook;

/// A Pod object (kept alive by the caller) and its view.
struct TestPod {
  json object;
  PodView view;
  explicit TestPod(json o, std::string spec_path = "spec", std::string md_path = "metadata") : object(std::move(o)) {
    if (!object.contains("metadata")) object["metadata"] = json::object();
    view.metadata = &object["metadata"];
    view.spec = &object["spec"];
    view.spec_path = std::move(spec_path);
    view.metadata_path = std::move(md_path);
  }
  TestPod(const TestPod&) = delete;
};

inline json pod_with_spec(json spec, json metadata = json::object()) {
  return json{{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", std::move(metadata)}, {"spec", std::move(spec)}};
}

inline const Finding* find_path(const std::vector<Finding>& f, const std::string& path) {
  auto it = std::find_if(f.begin(), f.end(), [&](const Finding& x) { return x.path == path; });
  return it == f.end() ? nullptr : &*it;
}

inline bool message_has(const Finding* f, const std::string& needle) {
  return f != nullptr && f->message.find(needle) != std::string::npos;
}

}  // namespace gp_test
