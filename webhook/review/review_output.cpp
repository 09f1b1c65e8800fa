// Renderers for `review`: the same Report as text (compiler style), JSON, JUnit XML and SARIF 2.1.0.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "gopreflight/common/text.hpp"
#include "gopreflight/webhook/review.hpp"

namespace gopreflight::webhook::review {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// "deployment/api (shop)"
std::string object_ref(const ReviewedObject& o) {
  std::string s = (o.kind.empty() ? std::string("object") : lower(o.kind)) + "/" + (o.name.empty() ? "<unnamed>" : o.name);
  if (!o.ns.empty()) s += " (" + o.ns + ")";
  return s;
}

std::string where(const std::string& file, int line) {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

std::string rule_id(const Finding& f) { return f.check.empty() ? f.rule : f.rule + "/" + f.check; }

/// "<path>: <message>; fix: <fix>"
std::string finding_text(const Finding& f) {
  std::string s = f.path.empty() ? f.message : f.path + ": " + f.message;
  if (!f.fix.empty()) s += "; fix: " + f.fix;
  return s;
}

json finding_json(const Finding& f, const ReviewedObject& o) {
  return json{{"rule", f.rule}, {"check", f.check}, {"path", f.path}, {"line", o.line_of(f.path)},
              {"message", f.message}, {"fix", f.fix}, {"mode", f.mode}, {"doc", rule_doc(f.rule)}};
}

struct Counts {
  std::size_t allowed = 0, denied = 0, skipped = 0, errors = 0, violations = 0, warnings = 0, audits = 0;
};

Counts count(const Report& r) {
  Counts c;
  c.errors = r.input_errors.size();
  for (const auto& o : r.objects) {
    switch (o.status) {
      case Status::allowed: ++c.allowed; break;
      case Status::denied: ++c.denied; break;
      case Status::skipped: ++c.skipped; break;
      case Status::error: ++c.errors; break;
    }
    c.violations += o.decision.violations.size();
    c.warnings += o.decision.warnings.size();
    c.audits += o.decision.audits.size();
  }
  return c;
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

using common::xml_escape;

/// A relative path as a URI reference; absolute paths as file:// URIs; stdin as "stdin".
std::string to_uri(const std::string& file) {
  if (file == "<stdin>") return "stdin";
  std::string out = file.size() > 0 && file[0] == '/' ? "file://" : "";
  for (char ch : file) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '/') {
      out += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned>(c));
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::string render_text(const Report& r) {
  std::string out;
  std::set<std::string> rules_hit;
  for (const auto& e : r.input_errors) out += e.file + (e.line > 0 ? ":" + std::to_string(e.line) + (e.col > 0 ? ":" + std::to_string(e.col) : "") : "") + ": error: " + e.message + "\n";
  for (const auto& o : r.objects) {
    const std::string at = where(o.file, o.line) + ": ";
    const std::string ref = object_ref(o);
    if (o.status == Status::error) {
      out += at + "error: " + ref + ": cannot be judged: " + o.reason + "\n";
      continue;
    }
    if (o.status == Status::skipped) continue;  // counted in the summary
    for (const auto& f : o.decision.violations) {
      out += where(o.file, o.line_of(f.path)) + ": error: " + ref + " " + finding_text(f) + " [" + rule_id(f) + "]\n";
      rules_hit.insert(f.rule);
    }
    for (const auto& f : o.decision.warnings) {
      out += where(o.file, o.line_of(f.path)) + ": warning: " + ref + " " + finding_text(f) + " [" + rule_id(f) + "]\n";
      rules_hit.insert(f.rule);
    }
    for (const auto& f : o.decision.audits)
      out += where(o.file, o.line_of(f.path)) + ": note: " + ref + " " + finding_text(f) + " [" + rule_id(f) + ", audit]\n";
    if (!o.decision.exempt_reason.empty()) out += at + "note: " + ref + ": exempt (" + o.decision.exempt_reason + ")\n";
    if (o.status == Status::denied && o.decision.violations.empty())
      out += at + "error: " + ref + ": denied\n";
  }
  const Counts c = count(r);
  out += plural(r.objects.size(), "object") + ": " + std::to_string(c.allowed) + " allowed, " +
         std::to_string(c.denied) + " denied, " + std::to_string(c.skipped) + " skipped (not Pods or workloads), " +
         std::to_string(c.errors) + " unreadable; " + plural(c.violations, "violation") + ", " +
         plural(c.warnings, "warning") + " (policy: " + r.policy + ")\n";
  if (!rules_hit.empty()) {
    out += "rules:";
    for (const auto& rule : rules_hit) out += " " + rule + " (" + rule_doc(rule) + ")";
    out += "\n";
  }
  return out;
}

json render_json(const Report& r) {
  const Counts c = count(r);
  json doc;
  doc["policy"] = r.policy;
  doc["summary"] = {{"objects", r.objects.size()}, {"allowed", c.allowed}, {"denied", c.denied},
                    {"skipped", c.skipped}, {"errors", c.errors}, {"violations", c.violations},
                    {"warnings", c.warnings}, {"exitCode", r.exit_code()}};
  json errors = json::array();
  for (const auto& e : r.input_errors)
    errors.push_back({{"file", e.file}, {"line", e.line}, {"column", e.col}, {"message", e.message}});
  doc["errors"] = errors;
  json objects = json::array();
  for (const auto& o : r.objects) {
    json j{{"file", o.file}, {"line", o.line}, {"apiVersion", o.api_version}, {"kind", o.kind},
           {"name", o.name}, {"namespace", o.ns}, {"status", to_string(o.status)}};
    // "allowed" is a decision: skipped objects were not judged and unreadable ones never pass.
    if (o.status == Status::skipped) j["allowed"] = nullptr;
    else j["allowed"] = o.status == Status::allowed;
    if (!o.reason.empty()) j["reason"] = o.reason;
    json v = json::array(), w = json::array(), a = json::array();
    for (const auto& f : o.decision.violations) v.push_back(finding_json(f, o));
    for (const auto& f : o.decision.warnings) w.push_back(finding_json(f, o));
    for (const auto& f : o.decision.audits) a.push_back(finding_json(f, o));
    j["violations"] = v;
    j["warnings"] = w;
    j["audits"] = a;
    if (!o.decision.exempt_reason.empty()) j["exempt"] = o.decision.exempt_reason;
    objects.push_back(std::move(j));
  }
  doc["objects"] = objects;
  return doc;
}

std::string render_junit(const Report& r) {
  // One <testsuite> per file, one <testcase> per object; unreadable inputs are <error>s.
  struct Suite {
    std::vector<std::string> cases;
    std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  };
  std::map<std::string, Suite> suites;
  std::vector<std::string> order;
  auto suite = [&](const std::string& file) -> Suite& {
    if (!suites.count(file)) order.push_back(file);
    return suites[file];
  };
  for (const auto& e : r.input_errors) {
    Suite& s = suite(e.file);
    ++s.tests, ++s.errors;
    s.cases.push_back("    <testcase classname=\"" + xml_escape(e.file) + "\" name=\"" + xml_escape(where(e.file, e.line)) +
                      "\">\n      <error type=\"unreadable\" message=\"" + xml_escape(e.message) + "\">" +
                      xml_escape(e.str()) + "</error>\n    </testcase>\n");
  }
  for (const auto& o : r.objects) {
    Suite& s = suite(o.file);
    ++s.tests;
    std::string tc = "    <testcase classname=\"" + xml_escape(o.file) + "\" name=\"" + xml_escape(object_ref(o)) + "\">\n";
    if (o.status == Status::skipped) {
      ++s.skipped;
      tc += "      <skipped message=\"" + xml_escape(o.reason) + "\"/>\n";
    } else if (o.status == Status::error) {
      ++s.errors;
      tc += "      <error type=\"unreadable\" message=\"" + xml_escape(o.reason) + "\">" + xml_escape(o.reason) + "</error>\n";
    } else if (o.status == Status::denied) {
      ++s.failures;
      std::string body;
      for (const auto& f : o.decision.violations) body += finding_text(f) + " [" + rule_id(f) + "]\n";
      tc += "      <failure type=\"denied\" message=\"" +
            xml_escape(plural(o.decision.violations.size(), "violation")) + "\">" + xml_escape(body) + "</failure>\n";
    }
    if (!o.decision.warnings.empty() || !o.decision.audits.empty() || !o.decision.exempt_reason.empty()) {
      std::string out;
      for (const auto& f : o.decision.warnings) out += "warning: " + finding_text(f) + " [" + rule_id(f) + "]\n";
      for (const auto& f : o.decision.audits) out += "audit: " + finding_text(f) + " [" + rule_id(f) + "]\n";
      if (!o.decision.exempt_reason.empty()) out += "exempt: " + o.decision.exempt_reason + "\n";
      tc += "      <system-out>" + xml_escape(out) + "</system-out>\n";
    }
    tc += "    </testcase>\n";
    s.cases.push_back(std::move(tc));
  }
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  std::string body;
  for (const auto& name : order) {
    const Suite& s = suites[name];
    tests += s.tests, failures += s.failures, errors += s.errors, skipped += s.skipped;
    body += "  <testsuite name=\"" + xml_escape(name) + "\" tests=\"" + std::to_string(s.tests) + "\" failures=\"" +
            std::to_string(s.failures) + "\" errors=\"" + std::to_string(s.errors) + "\" skipped=\"" +
            std::to_string(s.skipped) + "\">\n";
    for (const auto& tc : s.cases) body += tc;
    body += "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gopreflight-webhook review\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
         "\" skipped=\"" + std::to_string(skipped) + "\">\n" + body + "</testsuites>\n";
}

json render_sarif(const Report& r) {
  json rules = json::array();
  std::map<std::string, std::size_t> rule_index;
  auto index_of = [&](const std::string& id, const std::string& description) {
    auto it = rule_index.find(id);
    if (it != rule_index.end()) return it->second;
    json rule{{"id", id}, {"shortDescription", {{"text", description}}}};
    if (id != "input") rule["helpUri"] = rule_doc_url(id.substr(0, id.find('/')));
    rules.push_back(std::move(rule));
    return rule_index[id] = rules.size() - 1;
  };
  json results = json::array();
  auto location = [](const std::string& file, int line, int col, const std::string& logical) {
    json phys{{"artifactLocation", {{"uri", to_uri(file)}}}};
    if (line > 0) {
      phys["region"] = {{"startLine", line}};
      if (col > 0) phys["region"]["startColumn"] = col;
    }
    json loc{{"physicalLocation", phys}};
    if (!logical.empty()) loc["logicalLocations"] = json::array({{{"fullyQualifiedName", logical}, {"kind", "object"}}});
    return loc;
  };
  for (const auto& e : r.input_errors) {
    const auto idx = index_of("input", "Input that cannot be read (file, YAML or JSON)");
    results.push_back({{"ruleId", "input"}, {"ruleIndex", idx}, {"level", "error"},
                       {"message", {{"text", e.message}}}, {"locations", json::array({location(e.file, e.line, e.col, "")})}});
  }
  for (const auto& o : r.objects) {
    const std::string ref = object_ref(o);
    if (o.status == Status::error) {
      const auto idx = index_of("input", "Input that cannot be read (file, YAML or JSON)");
      results.push_back({{"ruleId", "input"}, {"ruleIndex", idx}, {"level", "error"},
                         {"message", {{"text", ref + ": cannot be judged: " + o.reason}}},
                         {"locations", json::array({location(o.file, o.line, 0, ref)})}});
      continue;
    }
    auto emit = [&](const Finding& f, const char* level) {
      const std::string id = rule_id(f);
      const auto idx = index_of(id, "gopreflight rule " + f.rule + (f.check.empty() ? "" : " (" + f.check + ")"));
      json res{{"ruleId", id}, {"ruleIndex", idx}, {"level", level},
               {"message", {{"text", ref + " " + finding_text(f)}}},
               {"locations", json::array({location(o.file, o.line_of(f.path), 0, ref + (f.path.empty() ? "" : " " + f.path))})}};
      res["properties"] = {{"path", f.path}, {"fix", f.fix}, {"mode", f.mode}};
      results.push_back(std::move(res));
    };
    for (const auto& f : o.decision.violations) emit(f, "error");
    for (const auto& f : o.decision.warnings) emit(f, "warning");
    for (const auto& f : o.decision.audits) emit(f, "note");
  }
  json driver{{"name", "gopreflight-webhook"},
              {"version", GOPREFLIGHT_VERSION},
              {"rules", rules}};
  json run{{"tool", {{"driver", driver}}},
           {"results", results},
           {"invocations", json::array({{{"executionSuccessful", r.exit_code() != 2}}})},
           {"properties", {{"policy", r.policy}}}};
  return json{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({run})}};
}

}  // namespace gopreflight::webhook::review
