#pragma once
/// The --config YAML file (thresholds, severities, skip list, strict, probes). Every error names
/// FILE:LINE:COL (1-based) and what was wrong; the CLI exits 2 on it.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/initcheck/probe.hpp"
#include "gopreflight/initcheck/report.hpp"

namespace gopreflight::initcheck {

struct Config {
  SettingsOverrides checks;                  ///< checks.<id>: validated against the catalog
  std::vector<std::string> skip;             ///< ids (validated after probes are known)
  std::optional<bool> strict;
  std::vector<ProbeSpec> probes;
  std::optional<std::chrono::milliseconds> probe_deadline;  ///< probeDeadline
  std::optional<std::chrono::milliseconds> probe_interval;  ///< probeInterval
};

/// Parses a Go-style duration: one or more <number><unit> with unit ms, s, m, h
/// ("2s", "500ms", "1m30s", "1.5s"). A bare number, a negative value or an unknown unit is an error.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Parses config text; `file` is only used in messages.
Result<Config> parse_config(std::string_view text, const std::string& file,
                            const std::vector<CheckDef>& catalog);

/// Reads and parses a config file (unreadable file: "FILE: cannot read: ...").
Result<Config> load_config(const std::string& file, const std::vector<CheckDef>& catalog);

}  // namespace gopreflight::initcheck
