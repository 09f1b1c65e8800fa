// Renderers: text table, JSON, JUnit XML, Prometheus textfile, --list and --explain.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "gopreflight/common/text.hpp"
#include "gopreflight/initcheck/render.hpp"

namespace gopreflight::initcheck {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

std::string_view colour_of(Status s) {
  switch (s) {
    case Status::pass: return "\x1b[32m";
    case Status::warn: return "\x1b[33m";
    case Status::fail: return "\x1b[1;31m";
    case Status::skip: return "\x1b[90m";
    case Status::error: return "\x1b[35m";
  }
  return "";
}

std::string pad(std::string_view s, std::size_t width) {
  std::string out(s);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

using common::valid_utf8;

/// One line for the terminal: newlines and tabs become spaces so a value never breaks the table,
/// other control characters (escape sequences from a garbage file) become '?'.
std::string one_line(std::string_view s) {
  std::string out;
  const auto v = valid_utf8(s);
  out.reserve(v.size());
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t') out.push_back(' ');
    else if (u < 0x20 || u == 0x7f) out.push_back('?');
    else out.push_back(c);
  }
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string render_text(const Report& report, bool color) {
  constexpr std::size_t kObservedMax = 56;
  std::size_t id_w = 2, obs_w = 8;
  for (const auto& r : report.checks) {
    id_w = std::max(id_w, r.id.size());
    obs_w = std::max(obs_w, std::min(one_line(r.observed).size(), kObservedMax));
  }
  const std::string reset = color ? "\x1b[0m" : "";
  std::string out;
  out += pad("STATUS", 7) + pad("ID", id_w + 2) + pad("OBSERVED", obs_w + 2) + "EXPECTED\n";
  for (const auto& r : report.checks) {
    const std::string st = pad(upper(to_string(r.status)), 7);
    out += color ? std::string(colour_of(r.status)) + st + reset : st;
    const auto obs = one_line(r.observed);
    out += pad(r.id, id_w + 2);
    out += obs.size() > obs_w ? obs + "  " : pad(obs, obs_w + 2);
    out += one_line(r.expected);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
    const bool detail = r.status == Status::warn || r.status == Status::fail ||
                        r.status == Status::error || r.status == Status::skip;
    if (detail && !r.message.empty()) out += "       " + one_line(r.message) + "\n";
    if ((r.status == Status::warn || r.status == Status::fail) && !r.remediation.empty()) {
      out += "       fix: " + one_line(r.remediation) + "\n";
    }
  }
  const auto s = summarize(report);
  out += "\n" + std::to_string(s.total) + " checks: " + std::to_string(s.pass) + " pass, " +
         std::to_string(s.warn) + " warn, " + std::to_string(s.fail) + " fail, " +
         std::to_string(s.skip) + " skip, " + std::to_string(s.error) + " error\n";
  std::string verdict = s.failed ? "result: FAIL" : "result: PASS";
  if (color) verdict = std::string(s.failed ? colour_of(Status::fail) : colour_of(Status::pass)) + verdict + reset;
  out += verdict;
  out += report.strict ? " (strict: warnings and errors count as failures)\n"
                       : " (warnings and errors do not fail the run; use --strict)\n";
  return out;
}

std::string render_json(const Report& report) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const auto& r : report.checks) {
    checks.push_back({{"id", r.id},
                      {"status", to_string(r.status)},
                      {"severity", to_string(r.severity)},
                      {"observed", r.observed},
                      {"expected", r.expected},
                      {"message", r.message},
                      {"remediation", r.remediation},
                      {"scope", r.scope},
                      {"duration_ms", std::round(r.duration_ms * 1000.0) / 1000.0}});
  }
  const auto s = summarize(report);
  nlohmann::ordered_json summary = {{"total", s.total}, {"pass", s.pass},   {"warn", s.warn},
                            {"fail", s.fail},   {"skip", s.skip},   {"error", s.error},
                            {"result", s.failed ? "fail" : "pass"}, {"strict", s.strict}};
  nlohmann::ordered_json doc = {{"checks", std::move(checks)}, {"summary", std::move(summary)}};
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string xml_escape(std::string_view raw) { return common::xml_escape(raw); }

std::string render_junit(const Report& report) {
  const auto s = summarize(report);
  int failures = 0;
  double total_ms = 0;
  for (const auto& r : report.checks) {
    total_ms += r.duration_ms;
    if (r.status == Status::fail || (report.strict && r.status == Status::warn)) ++failures;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"gopreflight-check\" tests=\"" + std::to_string(s.total) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(s.error) +
         "\" skipped=\"" + std::to_string(s.skip) + "\" time=\"" + fixed(total_ms / 1000, 6) + "\">\n";
  out += "  <testsuite name=\"gopreflight-check\" tests=\"" + std::to_string(s.total) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(s.error) +
         "\" skipped=\"" + std::to_string(s.skip) + "\" time=\"" + fixed(total_ms / 1000, 6) + "\">\n";
  for (const auto& r : report.checks) {
    const auto area = r.id.substr(0, r.id.find('.'));
    out += "    <testcase classname=\"gopreflight." + xml_escape(area) + "\" name=\"" + xml_escape(r.id) +
           "\" time=\"" + fixed(r.duration_ms / 1000, 6) + "\">";
    const std::string body = "observed: " + r.observed + "\nexpected: " + r.expected +
                             "\nmessage: " + r.message + "\nremediation: " + r.remediation;
    if (r.status == Status::fail || (report.strict && r.status == Status::warn)) {
      out += "\n      <failure type=\"" + std::string(to_string(r.status)) + "\" message=\"" +
             xml_escape(r.message) + "\">" + xml_escape(body) + "</failure>\n    ";
    } else if (r.status == Status::error) {
      out += "\n      <error type=\"error\" message=\"" + xml_escape(r.message) + "\">" +
             xml_escape(body) + "</error>\n    ";
    } else if (r.status == Status::skip) {
      out += "\n      <skipped message=\"" + xml_escape(r.message) + "\"/>\n    ";
    } else if (r.status == Status::warn) {
      out += "\n      <system-out>" + xml_escape("WARN " + body) + "</system-out>\n    ";
    }
    out += "</testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string prom_label_escape(std::string_view s) { return common::prometheus_label_escape(s); }

std::string render_prometheus(const Report& report) {
  static constexpr Status kAll[] = {Status::pass, Status::warn, Status::fail, Status::skip, Status::error};
  std::string out;
  out += "# HELP gopreflight_check_status Result of each gopreflight-check check: 1 for its status, 0 for the others.\n";
  out += "# TYPE gopreflight_check_status gauge\n";
  for (const auto& r : report.checks) {
    for (auto st : kAll) {
      out += "gopreflight_check_status{id=\"" + prom_label_escape(r.id) + "\",severity=\"" +
             std::string(to_string(r.severity)) + "\",status=\"" + std::string(to_string(st)) + "\"} " +
             (r.status == st ? "1" : "0") + "\n";
    }
  }
  out += "# HELP gopreflight_check_duration_seconds Time each check took in the last run.\n";
  out += "# TYPE gopreflight_check_duration_seconds gauge\n";
  for (const auto& r : report.checks) {
    out += "gopreflight_check_duration_seconds{id=\"" + prom_label_escape(r.id) + "\"} " +
           fixed(r.duration_ms / 1000, 6) + "\n";
  }
  const auto s = summarize(report);
  out += "# HELP gopreflight_checks_total Number of checks by status in the last run.\n";
  out += "# TYPE gopreflight_checks_total gauge\n";
  const int counts[] = {s.pass, s.warn, s.fail, s.skip, s.error};
  for (std::size_t i = 0; i < 5; ++i) {
    out += "gopreflight_checks_total{status=\"" + std::string(to_string(kAll[i])) + "\"} " +
           std::to_string(counts[i]) + "\n";
  }
  out += "# HELP gopreflight_success 1 when the run did not fail (exit code 0), else 0.\n";
  out += "# TYPE gopreflight_success gauge\n";
  out += std::string("gopreflight_success ") + (s.failed ? "0" : "1") + "\n";
  out += "# HELP gopreflight_last_run_timestamp_seconds Unix time of the last run.\n";
  out += "# TYPE gopreflight_last_run_timestamp_seconds gauge\n";
  out += "gopreflight_last_run_timestamp_seconds " + fixed(report.timestamp_s, 3) + "\n";
  return out;
}

std::string render_catalog_text(const std::vector<CheckDef>& catalog) {
  std::size_t id_w = 2;
  for (const auto& d : catalog) id_w = std::max(id_w, d.id.size());
  std::string out = pad("ID", id_w + 2) + pad("SCOPE", 11) + pad("SEVERITY", 10) + "DEFAULTS / TITLE\n";
  for (const auto& d : catalog) {
    out += pad(d.id, id_w + 2) + pad(d.scope, 11) + pad(to_string(d.default_severity), 10) +
           d.defaults.dump() + "\n";
    out += pad("", id_w + 2 + 21) + d.title + "\n";
  }
  out += pad("probe.<name>", id_w + 2) + pad("probe", 11) + pad("critical", 10) +
         "{\"timeout\":\"2s\",\"probeDeadline\":\"60s\",\"probeInterval\":\"1s\"}\n";
  out += pad("", id_w + 2 + 21) +
         "Dependency reachable (tcp, redis, postgres, etcd, http/https); configured by --probe/--config/GOPREFLIGHT_PROBES\n";
  return out;
}

std::string render_catalog_json(const std::vector<CheckDef>& catalog) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& d : catalog) {
    arr.push_back({{"id", d.id},
                   {"title", d.title},
                   {"scope", d.scope},
                   {"severity", to_string(d.default_severity)},
                   {"defaults", d.defaults}});
  }
  return nlohmann::json({{"checks", arr}}).dump(2) + "\n";
}

std::string render_explain(const CheckDef& def) {
  std::string out = def.id + ": " + def.title + "\n";
  out += "scope: " + def.scope + "    default severity: " + std::string(to_string(def.default_severity)) + "\n";
  out += "settings (config `checks." + def.id + "`): " + def.defaults.dump() + " plus severity\n\n";
  out += def.explain;
  if (!out.empty() && out.back() != '\n') out += "\n";
  return out;
}

}  // namespace gopreflight::initcheck
