#pragma once
/// Kind -> PodView: where the Pod (or its template) sits inside each workload kind, and a type
/// check of every field the rules read, so rules never see a wrong type.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/parsed.hpp"
#include "gopreflight/webhook/pod_view.hpp"

namespace gopreflight::webhook {

/// Upper bounds on the lists the engine reads; longer lists are refused with an error
/// (the API server's 3 MiB object limit keeps real objects far below them).
inline constexpr std::size_t kMaxContainers = 512;   ///< per containers/initContainers/ephemeralContainers
inline constexpr std::size_t kMaxListEntries = 4096; ///< env, envFrom, ports, volumes, sysctls, ...

struct ExtractedPod {
  PodView view;
  bool is_template = false;  ///< a workload's Pod template rather than a Pod
};

/// True for Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
/// ReplicationController and PodTemplate.
bool is_pod_kind(std::string_view kind);

/// Finds the Pod metadata and spec of `object` for `kind`, with their field paths.
/// A missing or wrongly typed template is an error naming the path. A ReplicationController
/// without a template yields a view whose spec is null (nothing to judge).
Parsed<ExtractedPod> extract_pod_view(const nlohmann::json& object, std::string_view kind);

/// Checks the JSON type of every field a rule or PSS check reads (metadata labels/annotations,
/// host namespaces, security contexts, sysctls, containers, env, resources, ports, volumes) and
/// the list bounds. Returns "" when the shape is fine, else "<path>: expected ..., found ...".
std::string check_pod_shape(const PodView& pod);

/// The JSON type name used in messages ("string", "number", "object", ...).
std::string_view json_type_name(const nlohmann::json& j);

}  // namespace gopreflight::webhook
