#pragma once
/// Injection of the gopreflight-check init container into Pods (POST /mutate). Pure functions of
/// a Pod object and the policy's injection section; Engine::mutate wraps them in AdmissionReview.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/pod_view.hpp"
#include "gopreflight/webhook/policy.hpp"

namespace gopreflight::webhook::mutate {

/// Name of the injected init container (fixed: the validating rule "initCheck" looks for it).
inline constexpr std::string_view kInitContainerName = "gopreflight-check";
/// Annotation naming the app container whose limits the check reads (default: the first container).
inline constexpr std::string_view kAppContainerAnnotation = "gopreflight.io/app-container";

/// Why a Pod is (or is not) injected, for logs and the AdmissionReview warning.
struct Selection {
  bool selected = false;
  std::string reason;  ///< "namespace shop is listed", "label gopreflight.io/inject=true", ...
};

/// The one injection decision, used by /mutate and by the initCheck rule for workload templates.
/// Nothing is selected while injection is disabled (the chart then installs no mutating webhook)
/// nor on Windows Pods (spec.os.name: windows; gopreflight-check is Linux-only). Otherwise the
/// opt-in label or annotation (Injection::opt_in_key, label first) decides: "true" selects, "false"
/// opts out; without it the namespace decides (listed in Injection::namespaces, or "*" listed).
Selection injection_selects(const PodView& pod, std::string_view ns, const Injection& injection);

/// The namespace the Pod is created in: `request_namespace`, or when empty its metadata.namespace.
std::string pod_namespace(const PodView& pod, std::string_view request_namespace);

/// What /mutate does with a Pod, or with the Pods created from a workload's template.
struct Plan {
  bool inject = false;  ///< the init container is added
  std::string reason;   ///< why (not) injected
  std::string app;      ///< the app container, when injected
  std::string error;    ///< the Pod could not be read: not injected, /mutate warns
};

/// injection_selects plus what else stops the patch: gopreflight-check already present, no app
/// container (see app_container_name), unreadable containers. build_patch injects exactly when
/// `inject` is true, so a template that passes initCheck because of it has Pods that pass too.
Plan injection_plan(const PodView& pod, std::string_view ns, const Injection& injection);

/// The policy's injection section as /mutate applies it: goRuntime's gomemlimitRatio, when that
/// rule is configured, is the ratio setGoEnv uses.
Injection effective_injection(const Policy& policy);

/// The app container: the one named by gopreflight.io/app-container, else the first container.
/// Empty optional with `error` filled when the Pod has no such container.
std::optional<std::string> app_container_name(const PodView& pod, std::string& error);

/// Where gopreflight-check goes in an existing initContainers list: after the last native sidecar
/// (restartPolicy: Always, e.g. a mesh or database proxy), so a probe through one can reach it;
/// first when there is none.
std::size_t init_container_index(const std::vector<Container>& init_containers);

/// The init container spec for the app container `app` whose env is `app_env` (image, args,
/// resources, restricted securityContext, downward API env).
nlohmann::json init_container(const Container& app, const std::vector<EnvVar>& app_env, const Injection& injection);

/// Outcome of building the patch for one Pod.
struct PatchResult {
  nlohmann::json patch = nlohmann::json::array();  ///< RFC 6902 operations; empty = leave as is
  std::string error;                               ///< the Pod could not be read: no patch
  std::vector<std::string> notes;                  ///< what was done or skipped, for logs
};

/// JSONPatch for a Pod: the init container in initContainers (see init_container_index), and (set_go_env) GOMEMLIMIT /
/// GOMAXPROCS on Go containers lacking them. A Pod that already has the init container gets none.
/// With `mutated`, the same additions are made to a copy of the model there, as each operation is
/// written (the engine judges a workload's template as its Pods after /mutate); it is left
/// untouched when there is no patch or an error.
PatchResult build_patch(const PodView& pod, std::string_view request_namespace, const Injection& injection,
                        PodView* mutated = nullptr);

/// build_patch of a Pod held as JSON (tests, tools): decoded by the engine's decoder first, whose
/// error (naming the field) is the result's error.
PatchResult build_patch(const nlohmann::json& pod, std::string_view request_namespace, const Injection& injection);

/// injection_selects of a Pod held as JSON; `request_namespace` empty = its metadata.namespace.
/// An undecodable Pod is not selected (the reason says why).
Selection select_pod(const nlohmann::json& pod, std::string_view request_namespace, const Injection& injection);

/// Kubernetes quantity to bytes, rounded up ("512Mi", "1.5Gi", "1e3"); nullopt if unreadable.
std::optional<long long> quantity_bytes(std::string_view q);
/// Kubernetes CPU quantity to millicores ("500m", "2", "1.5"); nullopt if unreadable.
std::optional<long long> quantity_millicores(std::string_view q);
/// GOMEMLIMIT in Go syntax for `ratio` of `limit_bytes`, as the goRuntime rule recommends it
/// (nearest MiB from 16 MiB up: "461MiB" for 90% of 512Mi).
std::string gomemlimit_value(long long limit_bytes, double ratio);
/// GOMAXPROCS for a CPU limit: ceil(millicores / 1000), at least 1.
std::string gomaxprocs_value(long long millicores);

/// RFC 4648 base64 (the AdmissionReview `patch` field).
std::string base64_encode(std::string_view bytes);

}  // namespace gopreflight::webhook::mutate
