#pragma once
/// The node-check model: readings come in through a HostReader, a check judges them, a
/// CheckResult goes out to one renderer. Checks never print, log or exit.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/initcheck/result.hpp"

namespace gopreflight::initcheck {

/// pass/warn/fail judge a reading; skip = not applicable here (with the reason);
/// error = could not tell (with the reason). Never pass for what was not read.
enum class Status { pass, warn, fail, skip, error };

/// How seriously a check's findings count. critical: fail stays fail. warning: fail is
/// reported as warn. Configurable per check (`checks.<id>.severity`).
enum class Severity { warning, critical };

std::string_view to_string(Status s);
std::string_view to_string(Severity s);
std::optional<Severity> parse_severity(std::string_view s);

/// One judged reading. `observed` always names the raw value and where it was read from.
struct CheckResult {
  std::string id;
  Status status = Status::error;
  Severity severity = Severity::critical;
  std::string observed;     ///< e.g. "65535 (/proc/sys/net/core/somaxconn)"
  std::string expected;     ///< e.g. ">= 1024"
  std::string message;      ///< one sentence a person can act on
  std::string remediation;  ///< exact command and persistent line; required on warn/fail
  double duration_ms = 0;   ///< filled by the runner
  std::string scope;        ///< filled by the runner from CheckDef::scope ("probe" for probes)
};

/// The roots every file read goes through (as node_exporter's --path.procfs/--path.sysfs).
struct HostPaths {
  std::filesystem::path procfs{"/proc"};
  std::filesystem::path sysfs{"/sys"};
};

/// Reads small text files under the injected roots. Errors name the full path and the cause;
/// files larger than the cap are an error, not a truncated success.
class HostReader {
 public:
  explicit HostReader(HostPaths paths, std::size_t max_bytes = 1u << 20);
  /// `rel` is relative to procfs, e.g. "sys/net/core/somaxconn".
  Result<std::string> proc(std::string_view rel) const;
  /// `rel` is relative to sysfs, e.g. "kernel/mm/transparent_hugepage/enabled".
  Result<std::string> sys(std::string_view rel) const;
  /// Any path (already rooted by the caller).
  Result<std::string> read(const std::filesystem::path& path) const;
  std::filesystem::path proc_path(std::string_view rel) const { return paths_.procfs / rel; }
  std::filesystem::path sys_path(std::string_view rel) const { return paths_.sysfs / rel; }
  bool proc_exists(std::string_view rel) const;
  bool sys_exists(std::string_view rel) const;
  const HostPaths& paths() const { return paths_; }

 private:
  HostPaths paths_;
  std::size_t max_bytes_;
};

/// adjtimex(2) read-only result (modes = 0; no capability needed).
struct ClockReading {
  int state = 0;               ///< return value: TIME_OK, TIME_INS, ..., TIME_ERROR (5)
  std::int64_t maxerror_us = 0;
  std::int64_t esterror_us = 0;
  std::int64_t offset_ns = 0;  ///< normalised to ns (STA_NANO honoured)
  int status_flags = 0;        ///< STA_* bits
};

/// The one syscall the checks need, behind an interface so tests can fake it.
class ClockSource {
 public:
  virtual ~ClockSource() = default;
  virtual Result<ClockReading> adjtimex() const = 0;
};

/// The real adjtimex(2).
class SystemClock final : public ClockSource {
 public:
  Result<ClockReading> adjtimex() const override;
};

/// Environment variables the check reads (downward API values etc.); injected for tests.
using EnvMap = std::map<std::string, std::string, std::less<>>;

/// What a check gets: readings come only from here.
struct Context {
  const HostReader& host;
  const ClockSource& clock;
  const EnvMap& env;
};

/// A catalog entry. `defaults` holds the check's thresholds (the config may override keys that
/// exist here, with values of the same JSON type); `run` is pure over (context, settings).
struct CheckDef {
  std::string id;
  std::string title;     ///< one line, for --list
  std::string explain;   ///< several lines for --explain: what, why for Go, thresholds, fix
  std::string scope;     ///< "node" (node-wide), "pod-netns" (Pod's network namespace), "pod", "container"
  Severity default_severity = Severity::critical;
  nlohmann::json defaults = nlohmann::json::object();
  std::function<CheckResult(const Context&, const nlohmann::json& settings)> run;
};

/// The built-in catalog, in report order (an explicit list: see checks/registry.cpp).
const std::vector<CheckDef>& builtin_checks();

/// Finds a catalog entry by id.
const CheckDef* find_check(std::string_view id);

}  // namespace gopreflight::initcheck
