#pragma once
/// The decoder of the Pod model (pod_view.hpp): where each kind keeps its Pod, and every field
/// any rule, PSS check or the injector reads, type-checked once. It is the one list of what the
/// engine reads. Errors name the field path: "spec.template.spec.containers[1].securityContext
/// .runAsUser: expected an integer, found string".
#include <cstddef>
#include <string>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gopreflight/result.hpp"
#include "gopreflight/webhook/json_document.hpp"
#include "gopreflight/webhook/pod_view.hpp"

namespace gopreflight::webhook {

/// Upper bounds on the lists the engine reads; longer lists are refused with an error
/// (the API server's 3 MiB object limit keeps real objects far below them).
inline constexpr std::size_t kMaxContainers = 512;   ///< per containers/initContainers/ephemeralContainers
inline constexpr std::size_t kMaxListEntries = 4096; ///< env, envFrom, ports, volumes, sysctls, ...

/// True for Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
/// ReplicationController and PodTemplate.
bool is_pod_kind(std::string_view kind);

/// The object's own metadata.name (or generateName + "*") and metadata.namespace.
struct ObjectHeader {
  std::string name, ns;
};
/// Reads the object's metadata name, generateName and namespace ("metadata.name: expected a
/// string, found integer").
Result<ObjectHeader> decode_object_header(JsonValue object);

struct DecodedPod {
  PodView view;
  bool is_template = false;  ///< a workload's Pod template rather than a Pod
  std::optional<JsonValue> metadata;  ///< the Pod (template) metadata and spec as read (for
  std::optional<JsonValue> spec;      ///< UPDATE comparisons); empty when absent
};

/// Finds the Pod (template) of `object` for `kind` and decodes it. A missing or wrongly typed
/// template is an error naming the path; a ReplicationController without a template gives a view
/// with has_spec false (nothing to judge).
Result<DecodedPod> decode_pod(JsonValue object, std::string_view kind);

/// decode_pod of an object held as nlohmann::json (tests, tools): the same decoder, through the
/// object's JSON text. `spec_path` / `metadata_path`, when not empty, replace the view's paths
/// (a Pod judged as if it sat where a template does).
Result<PodView> decode_pod_json(const nlohmann::json& object, std::string_view kind = "Pod",
                                std::string spec_path = "", std::string metadata_path = "");

/// One container object decoded as the model has it, at `path` (the injected init container,
/// added to the mutated model by mutate::build_patch).
Result<Container> decode_container_json(const nlohmann::json& container, std::string path,
                                        std::string list, std::size_t index);

}  // namespace gopreflight::webhook
