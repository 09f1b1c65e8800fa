#pragma once
/// node-report's pure parts: node-wide results -> the Node condition gopreflight.io/GoReady, and
/// the JSON bodies sent to the apiserver (status patch, taint patch, Event). No I/O here.
///
/// Condition contract (what a NodeReadinessRule or a person reads):
///   status  False   some node-wide check fails (warn too under `strict`);
///           Unknown nothing fails but some reading could not be made (status error);
///           True    otherwise (skip = not applicable here; warn is listed in the message).
///   reason  the first failing check's id in CamelCase ("thp.enabled" -> "ThpEnabled"); for
///           Unknown the first unreadable check's + "Unreadable"; "NodeChecksPassed" for True.
///   message every failing check as "id: observed X, expected Y", then the unreadable ones with
///           the reason, then warnings; at most kMaxMessage bytes, cut between entries with a
///           count of what was left out.
///   lastTransitionTime kept from the Node's current condition while the status is the same.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck::nodereport {

inline constexpr std::string_view kConditionType = "gopreflight.io/GoReady";
inline constexpr std::string_view kTaintKey = "gopreflight.io/not-ready";
inline constexpr std::string_view kTaintEffect = "NoSchedule";
inline constexpr std::size_t kMaxMessage = 1024;

/// A Node condition as the apiserver stores it (times are RFC 3339, second precision, UTC).
struct NodeCondition {
  std::string type{kConditionType};
  std::string status;  ///< "True", "False" or "Unknown"
  std::string reason;
  std::string message;
  std::string last_heartbeat_time;
  std::string last_transition_time;
};

/// What node-report needs from a Node object.
struct NodeView {
  std::string name;
  std::string uid;
  std::string resource_version;
  nlohmann::json taints = nlohmann::json::array();  ///< spec.taints as read
  std::optional<NodeCondition> condition;           ///< the current GoReady condition, if any
};

/// "2026-12-02T01:02:03Z".
std::string rfc3339(std::chrono::system_clock::time_point t);

/// "sysctl.fs.file-max" -> "SysctlFsFileMax": letters and digits kept, the letter after '.', '_',
/// '-' (and the first) upper-cased, everything else dropped; "Check" when nothing is left.
std::string camel_case(std::string_view id);

/// The node-wide ids of a catalog (CheckDef::scope == "node"), in catalog order.
std::vector<std::string> node_wide_ids(const std::vector<CheckDef>& catalog);

/// Builds the condition from one run's results; `previous` is the Node's current GoReady
/// condition (its lastTransitionTime is kept when the status is unchanged).
NodeCondition build_condition(const std::vector<CheckResult>& results, bool strict,
                              const std::optional<NodeCondition>& previous,
                              std::chrono::system_clock::time_point now);

/// Whether anything but the heartbeat differs (status, reason or message).
bool differs(const NodeCondition& a, const NodeCondition& b);

/// Reads a Node object (GET nodes/NAME, or a PATCH response). Errors name the missing field.
Result<NodeView> parse_node(std::string_view body);

/// Strategic-merge patch of nodes/NAME/status: conditions merge by type, so the other
/// conditions (Ready, MemoryPressure, ...) are left alone.
std::string status_patch_body(const NodeCondition& c);

/// Whether `taints` holds our taint (key and effect).
bool has_taint(const nlohmann::json& taints);

/// Merge patch of nodes/NAME that adds (want) or removes (!want) our taint, keeping every other
/// taint, with metadata.resourceVersion as the precondition (409 Conflict when the Node changed
/// since it was read). nullopt when the taints already are as wanted.
std::optional<std::string> taint_patch_body(const NodeView& node, bool want);

/// A core/v1 Event about the Node for a transition to `c.status` (Normal for True, Warning
/// otherwise), named "NODE.gopreflight-<time in ns, hex>" so a retried create is a 409, not a
/// second Event. `previous_status` is "" when the Node had no GoReady condition.
std::string event_body(const NodeView& node, const NodeCondition& c, std::string_view previous_status,
                       std::chrono::system_clock::time_point now);

/// The "message" of a Kubernetes Status error body, or the start of the body when it is not one.
std::string api_status_message(std::string_view body);

}  // namespace gopreflight::initcheck::nodereport
