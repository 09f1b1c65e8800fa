#pragma once
/// Renderers: pure functions from a Report to the text that is printed or written.
#include <cstddef>
#include <string>
#include <vector>

#include "gopreflight/initcheck/check.hpp"
#include "gopreflight/initcheck/report.hpp"

namespace gopreflight::initcheck {

/// Aligned table (STATUS, ID, OBSERVED, EXPECTED), message/fix lines under warn/fail/error rows,
/// and the summary line. ANSI colour only when `color` (the CLI decides: TTY and no NO_COLOR).
std::string render_text(const Report& report, bool color);

/// {"checks":[{id,status,severity,observed,expected,message,remediation,duration_ms,scope}],
///  "summary":{total,pass,warn,fail,skip,error,result,strict}}
std::string render_json(const Report& report);

/// JUnit XML: one testcase per check; <failure> for fail (and warn under strict), <skipped/> for
/// skip, <error> for error; warn otherwise passes with a <system-out> note.
std::string render_junit(const Report& report);

/// node_exporter textfile collector format (HELP/TYPE lines, one-hot status gauges).
std::string render_prometheus(const Report& report);

/// Escapes &, <, >, " and ' and drops characters XML 1.0 does not allow.
std::string xml_escape(std::string_view s);

/// Escapes \, " and newline for a Prometheus label value.
std::string prom_label_escape(std::string_view s);

/// The termination log: "FAIL id: message; fix: remediation" lines, failures first, then
/// errors, then warnings; at most `max_bytes`, cut on a line boundary (or a UTF-8 boundary when
/// a single line is longer).
std::string render_termination_log(const Report& report, std::size_t max_bytes = 4096);

/// The catalog for --list: id, scope, severity, thresholds and title.
std::string render_catalog_text(const std::vector<CheckDef>& catalog);
std::string render_catalog_json(const std::vector<CheckDef>& catalog);

/// --explain ID.
std::string render_explain(const CheckDef& def);

}  // namespace gopreflight::initcheck
