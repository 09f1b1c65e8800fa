#pragma once
/// Running the catalog and summarising: selection (--only/--skip), settings overrides, timing,
/// severity, and the exit-code contract. Pure over the given catalog and Context.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck {

/// All results of one run, in report order (catalog first, then probes).
struct Report {
  std::vector<CheckResult> checks;
  bool strict = false;        ///< --strict: warn and error count as failures
  double timestamp_s = 0;     ///< wall-clock time of the run (Unix seconds), for prometheus
};

/// Counts by status plus the verdict.
struct Summary {
  int total = 0, pass = 0, warn = 0, fail = 0, skip = 0, error = 0;
  bool strict = false;
  bool failed = false;  ///< any fail; under strict also any warn or error
};

Summary summarize(const Report& report);

/// Whether one result makes the run fail: fail always; warn and error only under strict.
bool counts_as_failure(const CheckResult& r, bool strict);

/// 0 when nothing failed, 1 otherwise (2 is reserved for usage/config errors, decided by the CLI).
int exit_code(const Report& report);

/// Per-check settings overrides from the config: id -> {key: value} (keys validated already).
using SettingsOverrides = std::map<std::string, nlohmann::json, std::less<>>;

/// Which checks to run. Ids are validated by validate_ids() before use.
struct Selection {
  std::vector<std::string> only;  ///< empty: all
  std::vector<std::string> skip;
};

/// Checks every id names a catalog check or a configured probe ("probe.<name>"). The error
/// names the option (`--skip`, `--only`, `skip` in the config) and the unknown id.
Result<bool> validate_ids(const std::vector<CheckDef>& catalog,
                          const std::vector<std::string>& probe_names,
                          const std::vector<std::string>& ids, std::string_view option);

/// Whether `id` is selected (in --only when given, and not in --skip).
bool selected(const Selection& sel, std::string_view id);

/// defaults of `def` with `overrides` applied key by key.
nlohmann::json effective_settings(const CheckDef& def, const nlohmann::json* overrides);

/// Checks that `overrides` only sets keys that exist in def.defaults (or "severity", which must be
/// "warning" or "critical") with values of the same JSON type (an integer is accepted for a float).
/// The error names the key and both types.
Result<bool> validate_settings(const CheckDef& def, const nlohmann::json& overrides);

/// Runs one check: times it, turns an exception into an `error` result naming the check, fills
/// id/scope when the check left them empty, and applies the severity (finish()).
CheckResult run_one(const CheckDef& def, const Context& ctx, const nlohmann::json& settings);

/// Runs the selected catalog checks in catalog order.
std::vector<CheckResult> run_catalog(const std::vector<CheckDef>& catalog, const Context& ctx,
                                     const Selection& sel, const SettingsOverrides& overrides);

}  // namespace gopreflight::initcheck
