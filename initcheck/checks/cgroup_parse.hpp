#pragma once
/// Finding and reading the process's own cgroup: <procfs>/self/mountinfo + <procfs>/self/cgroup,
/// then files under <sysfs>/fs/cgroup. Parsers are pure and tested on literal strings.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck::checks {

/// One line of /proc/self/mountinfo (octal escapes such as \040 decoded).
struct MountInfo {
  std::string root;         ///< field 4: the mount's root inside its filesystem
  std::string mount_point;  ///< field 5
  std::string fstype;       ///< after " - "
  std::string super_options;
};
Result<std::vector<MountInfo>> parse_mountinfo(std::string_view text);

/// One line of /proc/self/cgroup: "0::/path" (v2) or "4:memory:/path" / "2:cpu,cpuacct:/path" (v1).
struct ProcCgroupEntry {
  int hierarchy = 0;
  std::vector<std::string> controllers;  ///< empty for the v2 line
  std::string path;
};
Result<std::vector<ProcCgroupEntry>> parse_proc_cgroup(std::string_view text);

enum class CgroupMode { v2, hybrid, v1 };
std::string_view to_string(CgroupMode m);

/// Which cgroup filesystems are mounted at /sys/fs/cgroup: cgroup2 at /sys/fs/cgroup -> v2;
/// v1 controllers at /sys/fs/cgroup/<name> -> v1, plus cgroup2 at /sys/fs/cgroup/unified -> hybrid.
struct CgroupLayout {
  CgroupMode mode = CgroupMode::v1;
  std::optional<MountInfo> unified;  ///< the cgroup2 mount (v2 or hybrid)
  std::vector<MountInfo> v1;         ///< the v1 controller mounts
};
Result<CgroupLayout> detect_cgroup_layout(const std::vector<MountInfo>& mounts);

/// A v2 limit file ("max" or a non-negative integer): nullopt means unlimited.
Result<std::optional<std::int64_t>> parse_cgroup_limit(std::string_view text);

/// A v1 byte limit: values of 2^62 and above are the kernel's "unlimited" (PAGE_COUNTER_MAX).
Result<std::optional<std::int64_t>> parse_v1_bytes(std::string_view text);

/// cpu.max: "max 100000" or "200000 100000" (quota and period in microseconds).
struct CpuMax {
  std::optional<std::int64_t> quota_us;  ///< nullopt: no quota
  std::int64_t period_us = 100000;
};
Result<CpuMax> parse_cpu_max(std::string_view text);

/// The own cgroup path relative to the mount: strips the mount root when it is a prefix; with a
/// cgroup namespace (own path "/") the mount point itself is the own cgroup. Errors when the own
/// path lies outside the mount ("/.." paths from a foreign namespace).
Result<std::string> relative_cgroup_path(std::string_view mount_root, std::string_view own_path);

/// Where the process's cgroup for one controller lives.
struct CgroupDir {
  std::string sys_rel;    ///< relative to <sysfs>, e.g. "fs/cgroup/kubepods/pod1/c1"
  std::string own_path;   ///< as in /proc/self/cgroup
  bool is_root = false;   ///< the hierarchy's root cgroup (no limit files there)
};

/// The cgroup readings every cgroup/go check starts from.
struct OwnCgroup {
  CgroupLayout layout;
  std::vector<ProcCgroupEntry> entries;
};
Result<OwnCgroup> read_own_cgroup(const HostReader& host);

/// The directory for `controller` ("memory", "cpu", "pids"): the unified hierarchy on v2, the
/// controller's v1 mount on v1/hybrid.
Result<CgroupDir> controller_dir(const OwnCgroup& cg, std::string_view controller);

/// Limits read from the own cgroup (bytes / microseconds); nullopt = unlimited.
struct MemoryReading {
  std::optional<std::int64_t> max, high, swap_max;
  bool swap_file_present = false;
  std::string dir;   ///< full path shown in `observed`
  std::string raw;   ///< "memory.max=... memory.high=... memory.swap.max=..."
};
struct CpuReading {
  std::optional<std::int64_t> quota_us;
  std::int64_t period_us = 100000;
  std::string dir;
  std::string raw;
};

/// Outcome of reading limits: `root` means the process is in the hierarchy's root cgroup,
/// which carries no limit files (a bare host); the reading is then absent.
template <class T>
struct LimitRead {
  std::optional<T> value;
  bool root = false;
  std::string where;
};
Result<LimitRead<MemoryReading>> read_memory(const HostReader& host, const OwnCgroup& cg);
Result<LimitRead<CpuReading>> read_cpu(const HostReader& host, const OwnCgroup& cg);

/// "512MiB"-style rendering of a byte count for messages (exact bytes when not a whole unit).
std::string human_bytes(std::int64_t bytes);

}  // namespace gopreflight::initcheck::checks
