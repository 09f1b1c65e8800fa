#include <regex>
#include <sstream>

#include "fixture.hpp"
#include "gopreflight/initcheck/render.hpp"

using namespace gptest;

namespace {
Report sample(bool strict = false) {
  Report rep;
  rep.strict = strict;
  rep.timestamp_s = 1700000000.5;
  auto add = [&](std::string id, Status s, std::string msg, std::string fix) {
    CheckResult r;
    r.id = std::move(id);
    r.status = s;
    r.observed = "val (/proc/x)";
    r.expected = ">= 1";
    r.message = std::move(msg);
    r.remediation = std::move(fix);
    r.duration_ms = 0.25;
    r.scope = "node";
    rep.checks.push_back(r);
  };
  add("a.pass", Status::pass, "fine", "");
  add("b.warn", Status::warn, "hmm <&> \"quoted\"", "do this");
  add("c.fail", Status::fail, "broken\nline two", "fix it");
  add("d.skip", Status::skip, "not here", "");
  add("e.error", Status::error, "could not read", "");
  add("f\"label\\id", Status::pass, "odd id", "");
  return rep;
}
}  // namespace

TEST_CASE("json: schema shape") {
  auto doc = nlohmann::json::parse(render_json(sample()));
  REQUIRE(doc["checks"].is_array());
  REQUIRE(doc["checks"].size() == 6);
  for (const auto& c : doc["checks"]) {
    for (const char* k : {"id", "status", "severity", "observed", "expected", "message", "remediation"}) {
      CHECK_MESSAGE(c.contains(k), k);
      CHECK(c[k].is_string());
    }
    CHECK(c["duration_ms"].is_number());
  }
  CHECK(doc["checks"][2]["status"] == "fail");
  const auto& s = doc["summary"];
  CHECK(s["total"] == 6);
  CHECK(s["pass"] == 2);
  CHECK(s["warn"] == 1);
  CHECK(s["fail"] == 1);
  CHECK(s["skip"] == 1);
  CHECK(s["error"] == 1);
  CHECK(s["result"] == "fail");
  CHECK(s["strict"] == false);
  Report ok;
  ok.checks.push_back(sample().checks[1]);
  CHECK(nlohmann::json::parse(render_json(ok))["summary"]["result"] == "pass");
  ok.strict = true;
  CHECK(nlohmann::json::parse(render_json(ok))["summary"]["result"] == "fail");
}

TEST_CASE("junit: well-formed, escaped, one element per status") {
  const auto xml = render_junit(sample());
  CHECK(xml.rfind("<?xml version=\"1.0\"", 0) == 0);
  CHECK(xml.find("tests=\"6\" failures=\"1\" errors=\"1\" skipped=\"1\"") != std::string::npos);
  CHECK(xml.find("<failure type=\"fail\" message=\"broken\nline two\">") != std::string::npos);
  CHECK(xml.find("<error type=\"error\"") != std::string::npos);
  CHECK(xml.find("<skipped message=\"not here\"/>") != std::string::npos);
  CHECK(xml.find("hmm &lt;&amp;&gt; &quot;quoted&quot;") != std::string::npos);
  CHECK(xml.find("<&>") == std::string::npos);
  // Balanced elements: every opening tag closed (simple stack over tags).
  std::regex tag(R"(<(/?)([a-z\-]+)[^>]*?(/?)>)");
  std::vector<std::string> stack;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), tag); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    if (m[3] == "/") continue;
    if (m[1] == "/") {
      REQUIRE_FALSE(stack.empty());
      CHECK(stack.back() == m[2].str());
      stack.pop_back();
    } else {
      stack.push_back(m[2]);
    }
  }
  CHECK(stack.empty());
  CHECK(render_junit(sample(true)).find("<failure type=\"warn\"") != std::string::npos);
  CHECK(xml_escape(std::string("a\x01") + "b") == "a?b");  // one XML escaper (common/): a visible mark
  CHECK(xml_escape("caf\xc3\xa9") == "caf\xc3\xa9");           // valid UTF-8 kept
  CHECK(xml_escape("bad\xff\xc3") == "bad\xEF\xBF\xBD\xEF\xBF\xBD");  // invalid bytes replaced
}

TEST_CASE("prometheus: textfile format") {
  const auto text = render_prometheus(sample());
  std::istringstream in(text);
  std::string line;
  std::regex sample_line(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? -?[0-9.e+]+$)");
  std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  int samples = 0;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) {
      CHECK_MESSAGE(std::regex_match(line, comment), line);
    } else {
      CHECK_MESSAGE(std::regex_match(line, sample_line), line);
      ++samples;
    }
  }
  CHECK(samples == 6 * 5 + 6 + 5 + 2);
  CHECK(text.find("gopreflight_check_status{id=\"c.fail\",severity=\"critical\",status=\"fail\"} 1") != std::string::npos);
  CHECK(text.find("gopreflight_check_status{id=\"c.fail\",severity=\"critical\",status=\"pass\"} 0") != std::string::npos);
  CHECK(text.find("gopreflight_checks_total{status=\"pass\"} 2") != std::string::npos);
  CHECK(text.find("gopreflight_last_run_timestamp_seconds 1700000000.500") != std::string::npos);
  CHECK(text.find("id=\"f\\\"label\\\\id\"") != std::string::npos);
  CHECK(text.find("# TYPE gopreflight_check_duration_seconds gauge") != std::string::npos);
  CHECK(prom_label_escape("a\nb") == "a\\nb");
}

TEST_CASE("text: table, details, summary, colour only when asked") {
  const auto plain = render_text(sample(), false);
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(plain.rfind("STATUS", 0) == 0);
  CHECK(plain.find("OBSERVED") != std::string::npos);
  CHECK(plain.find("EXPECTED") != std::string::npos);
  CHECK(plain.find("6 checks: 2 pass, 1 warn, 1 fail, 1 skip, 1 error") != std::string::npos);
  CHECK(plain.find("fix: fix it") != std::string::npos);
  CHECK(plain.find("broken line two") != std::string::npos);  // newline flattened
  CHECK(plain.find("result: FAIL") != std::string::npos);
  // Columns align: ID starts at the same offset on every row.
  std::istringstream in(plain);
  std::string line;
  std::getline(in, line);
  const auto id_col = line.find("ID");
  while (std::getline(in, line)) {
    if (line.rfind("PASS", 0) == 0 || line.rfind("WARN", 0) == 0 || line.rfind("FAIL", 0) == 0) {
      CHECK(line.find_first_not_of(' ', 4) == id_col);
    }
  }
  CHECK(render_text(sample(), true).find("\x1b[") != std::string::npos);
  Report evil;
  CheckResult r;
  r.id = "x";
  r.status = Status::error;
  r.observed = "\x1b]0;pwned\x07 (/proc/x)";
  r.message = "m";
  evil.checks.push_back(r);
  CHECK(render_text(evil, false).find('\x1b') == std::string::npos);  // no terminal injection from files
  CHECK(nlohmann::json::parse(render_json(evil))["checks"][0]["observed"].is_string());
}

TEST_CASE("termination log: failures first, bounded, clean cuts") {
  auto log = render_termination_log(sample());
  CHECK(log.rfind("FAIL c.fail: broken line two; fix: fix it\n", 0) == 0);
  CHECK(log.find("ERROR e.error: could not read") < log.find("WARN b.warn"));
  CHECK(log.find("a.pass") == std::string::npos);

  Report big;
  for (int i = 0; i < 200; ++i) {
    CheckResult r;
    r.id = "x" + std::to_string(i);
    r.status = i % 2 ? Status::warn : Status::fail;
    r.message = std::string(40, 'm') + "\xc3\xa9";  // é
    r.remediation = "r";
    big.checks.push_back(r);
  }
  auto cut = render_termination_log(big);
  CHECK(cut.size() <= 4096);
  CHECK(cut.back() == '\n');
  CHECK(cut.find("WARN") == std::string::npos);  // 100 failures fill it before any warning

  Report one;
  CheckResult huge;
  huge.id = "h";
  huge.status = Status::fail;
  for (int i = 0; i < 3000; ++i) huge.message += "\xc3\xa9";  // 6000 bytes of 2-byte characters
  one.checks.push_back(huge);
  auto c1 = render_termination_log(one);
  CHECK(c1.size() <= 4096);
  CHECK(c1.size() > 4000);
  const auto body = c1.substr(0, c1.size() - std::string(" ...\n").size());
  CHECK(c1.substr(body.size()) == " ...\n");
  // No partial UTF-8 sequence before the marker.
  CHECK((static_cast<unsigned char>(body.back()) & 0xC0) != 0xC0);
  const auto prefix = std::string("FAIL h: ");
  CHECK((body.size() - prefix.size()) % 2 == 0);

  Report clean;
  clean.checks.push_back(sample().checks[0]);
  CHECK(render_termination_log(clean).rfind("PASS 1 checks", 0) == 0);
}

TEST_CASE("--list and --explain renderers cover the catalog") {
  const auto list = render_catalog_text(builtin_checks());
  for (const auto& d : builtin_checks()) CHECK_MESSAGE(list.find(d.id) != std::string::npos, d.id);
  CHECK(list.find("\"min_version\":\"5.4\"") != std::string::npos);
  auto json = nlohmann::json::parse(render_catalog_json(builtin_checks()));
  CHECK(json["checks"].size() == builtin_checks().size());
  const auto ex = render_explain(*find_check("go.gomemlimit"));
  CHECK(ex.find("GOPREFLIGHT_APP_MEMORY_LIMIT") != std::string::npos);
  CHECK(ex.find("scope: pod") != std::string::npos);
}
