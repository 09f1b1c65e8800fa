#pragma once
/// Pure pieces of the swap, sysctl.* and conntrack.usage checks.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck::checks {

/// One row of <procfs>/swaps.
struct SwapEntry {
  std::string filename;
  std::string type;
  std::int64_t size_kib = 0;
  std::int64_t used_kib = 0;
};

/// Parses <procfs>/swaps: a "Filename Type Size Used Priority" header, then one row per active
/// swap area. No rows = no swap. Errors name the line.
Result<std::vector<SwapEntry>> parse_swaps(std::string_view text);

/// "32768\t60999" (net.ipv4.ip_local_port_range): two ports, low <= high, both 1..65535.
struct PortRange {
  std::int64_t low = 0;
  std::int64_t high = 0;
  std::int64_t width() const { return high - low + 1; }
};
Result<PortRange> parse_port_range(std::string_view text);

/// "net.ipv4.tcp_tw_reuse" -> "sys/net/ipv4/tcp_tw_reuse" (relative to procfs).
std::string sysctl_rel_path(std::string_view name);

/// How a sysctl's value is judged.
enum class SysctlRule {
  min,          ///< value >= settings.min
  max,          ///< value <= settings.max
  one_of,       ///< value in settings.allowed (integers)
  range_width,  ///< port range with high-low+1 >= settings.min_width
};

/// Where a sysctl lives, which decides the remediation.
enum class SysctlScope {
  node,              ///< vm.*, fs.*, kernel.*: node-wide; node tuning (sysctl.d)
  netns_safe,        ///< per network namespace, in Kubernetes' safe set: Pod securityContext.sysctls
  netns_unsafe,      ///< per network namespace, unsafe: kubelet --allowed-unsafe-sysctls + Pod field
  netns_node_owned,  ///< visible in the Pod's netns but set for the node (conntrack table size)
};

/// One entry of the sysctl catalog.
struct SysctlSpec {
  std::string name;  ///< e.g. "vm.max_map_count"
  SysctlRule rule;
  SysctlScope scope;
  std::string why;        ///< why it matters for a Go service
  std::string value_for;  ///< text of the value to set in the remediation for one_of rules
};

/// The outcome of judging one value, before it becomes a CheckResult.
struct SysctlVerdict {
  Status status = Status::error;  ///< pass, fail or error (bad value)
  std::string expected;
  std::string detail;  ///< "65535 >= 4096" style or the parse error
  std::string fix_value;  ///< value to set when it fails
};

/// Judges the raw file text of `spec` against `settings`; pure.
SysctlVerdict judge_sysctl(const SysctlSpec& spec, std::string_view raw, const nlohmann::json& settings);

/// The catalog of sysctl.<name> checks, in report order.
const std::vector<SysctlSpec>& sysctl_specs();

}  // namespace gopreflight::initcheck::checks
