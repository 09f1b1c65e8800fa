#pragma once
// Test helpers: Pods from JSON literals, findings by rule/path.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/pod_decode.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "gopreflight/webhook/rules.hpp"

namespace gp_test {

using nlohmann::json;
using namespace gopreflight::webhook;

/// A Pod object and its model, decoded as the engine decodes it (a decoding error throws: the
/// tests' Pods are well formed).
struct TestPod {
  json object;
  PodView view;
  explicit TestPod(json o, std::string spec_path = "spec", std::string md_path = "metadata") : object(std::move(o)) {
    auto decoded = decode_pod_json(object, "Pod", std::move(spec_path), std::move(md_path));
    if (!decoded) throw std::runtime_error("test Pod does not decode: " + decoded.error());
    view = std::move(*decoded);
  }
  TestPod(const TestPod&) = delete;
};

/// The model of a Pod object, decoded as the engine decodes it (a decoding error throws).
inline PodView model_of(const json& pod) {
  auto decoded = decode_pod_json(pod);
  if (!decoded) throw std::runtime_error("test Pod does not decode: " + decoded.error());
  return std::move(*decoded);
}

/// The model of the Pod template of a workload object of `kind`.
inline PodView workload_model(const json& object, std::string_view kind = "Deployment") {
  auto decoded = decode_pod_json(object, kind);
  if (!decoded) throw std::runtime_error("test workload does not decode: " + decoded.error());
  return std::move(*decoded);
}

/// The model of a Pod made of `metadata` and `spec` (null: absent).
inline PodView model_of(const json* metadata, const json* spec) {
  json pod = json::object();
  if (metadata != nullptr) pod["metadata"] = *metadata;
  pod["spec"] = spec != nullptr ? *spec : json::object();
  return model_of(pod);
}

/// Containers of an initContainers list, decoded (for init_container_index).
inline std::vector<Container> init_containers_of(const json& list) {
  return model_of(json{{"spec", {{"initContainers", list}}}}).spec.init_containers;
}

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
