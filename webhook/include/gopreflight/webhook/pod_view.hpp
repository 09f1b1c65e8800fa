#pragma once
/// A Pod, or the Pod template inside a workload, as the rules see it.
#include <string>

#include <nlohmann/json.hpp>

namespace gopreflight::webhook {

/// Borrowed view of pod metadata and spec. `spec_path` is the field path of the spec inside
/// its object ("spec" for a Pod, "spec.template.spec" for a Deployment,
/// "spec.jobTemplate.spec.template.spec" for a CronJob); `metadata_path` likewise
/// ("metadata", "spec.template.metadata"). Rules build violation paths from these.
struct PodView {
  const nlohmann::json* metadata = nullptr;  ///< may point at an empty object, never null in use
  const nlohmann::json* spec = nullptr;      ///< the PodSpec object
  std::string metadata_path = "metadata";
  std::string spec_path = "spec";
};

}  // namespace gopreflight::webhook
