#include "checks/thp.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace gopreflight::initcheck;
using gopreflight::initcheck::checks::parse_thp_mode;
using gp_test::run;

TEST_CASE("parse_thp_mode reads the bracketed word") {
  auto m = parse_thp_mode("always [madvise] never\n");
  REQUIRE(m.ok());
  CHECK(m->selected == "madvise");
  CHECK(m->choices == std::vector<std::string>{"always", "madvise", "never"});
  auto d = parse_thp_mode("always defer [defer+madvise] madvise never");
  REQUIRE(d.ok());
  CHECK(d->selected == "defer+madvise");
  CHECK(parse_thp_mode("[never]")->selected == "never");
}

TEST_CASE("parse_thp_mode rejects garbage with a reason") {
  struct Case { const char* text; const char* reason; };
  for (auto c : {Case{"", "empty"}, Case{"   \n", "empty"}, Case{"always madvise never", "no [bracketed]"},
                 Case{"[always] [never]", "more than one"}, Case{"[always madvise never", "unclosed"},
                 Case{"always [MADVISE] never", "not a mode name"}, Case{"[] never", "unclosed"},
                 Case{"always [mad vise]", "unclosed"}, Case{"[4]", "not a mode name"}}) {
    CAPTURE(c.text);
    auto m = parse_thp_mode(c.text);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().find(c.reason) != std::string::npos);
  }
  CHECK_FALSE(parse_thp_mode(std::string(5000, 'a')).ok());
}

TEST_CASE("thp checks on fixture trees") {
  struct Case { const char* tree; const char* id; Status want; const char* in_message; };
  for (auto c : {
           Case{"thp/madvise", "thp.enabled", Status::pass, "madvise"},
           Case{"thp/madvise", "thp.defrag", Status::pass, "madvise"},
           Case{"thp/madvise", "thp.max_ptes_none", Status::pass, "MADV_HUGEPAGE"},
           Case{"thp/always", "thp.enabled", Status::warn, "RSS"},
           Case{"thp/always", "thp.defrag", Status::warn, "direct reclaim"},
           Case{"thp/always", "thp.max_ptes_none", Status::warn, "511"},
           Case{"thp/always_tuned", "thp.enabled", Status::warn, "always"},
           Case{"thp/always_tuned", "thp.defrag", Status::pass, "defer+madvise"},
           Case{"thp/always_tuned", "thp.max_ptes_none", Status::pass, "fully populated"},
           Case{"thp/never", "thp.enabled", Status::pass, "no huge pages"},
           Case{"thp/never", "thp.defrag", Status::skip, "disabled"},
           Case{"thp/never", "thp.max_ptes_none", Status::skip, "disabled"},
           Case{"thp/absent", "thp.enabled", Status::skip, "CONFIG_TRANSPARENT_HUGEPAGE"},
           Case{"thp/absent", "thp.defrag", Status::skip, "CONFIG_TRANSPARENT_HUGEPAGE"},
           Case{"thp/absent", "thp.max_ptes_none", Status::skip, "does not exist"},
           Case{"thp/garbage", "thp.enabled", Status::error, "no [bracketed]"},
           Case{"thp/garbage", "thp.defrag", Status::error, "no [bracketed]"},
           Case{"thp/garbage", "thp.max_ptes_none", Status::error, "no [bracketed]"},
           Case{"thp/garbage_ptes", "thp.defrag", Status::pass, "never"},
           Case{"thp/garbage_ptes", "thp.max_ptes_none", Status::error, "0..511"},
           Case{"thp/directory", "thp.enabled", Status::error, "is a directory"},
       }) {
    CAPTURE(c.tree);
    CAPTURE(c.id);
    auto r = run(c.id, c.tree);
    CAPTURE(r.message);
    CHECK(r.status == c.want);
    CHECK(r.message.find(c.in_message) != std::string::npos);
    gp_test::check_contract(r);
  }
}

TEST_CASE("thp observed names the file; remediation has the command and the persistent line") {
  auto r = run("thp.enabled", "thp/always");
  CHECK(r.observed.find("[always] madvise never") != std::string::npos);
  CHECK(r.observed.find("transparent_hugepage/enabled") != std::string::npos);
  CHECK(r.remediation.find("echo madvise > /sys/kernel/mm/transparent_hugepage/enabled") != std::string::npos);
  CHECK(r.remediation.find("/etc/tmpfiles.d/thp.conf") != std::string::npos);
  CHECK(r.message.find("1.21.1") != std::string::npos);
}

TEST_CASE("thp settings: severity and thresholds come from the config") {
  CHECK(run("thp.enabled", "thp/always", {{"severity", "critical"}}).status == Status::fail);
  CHECK(run("thp.enabled", "thp/always", {{"allowed", {"always", "madvise", "never"}}}).status == Status::pass);
  CHECK(run("thp.enabled", "thp/madvise", {{"allowed", {"never"}}}).status == Status::warn);
  // judge max_ptes_none in madvise mode too when asked
  CHECK(run("thp.max_ptes_none", "thp/madvise", {{"judge_when_madvise", true}}).status == Status::warn);
  CHECK(run("thp.max_ptes_none", "thp/always", {{"max", 511}}).status == Status::pass);
  CHECK(run("thp.defrag", "thp/always", {{"severity", "critical"}}).status == Status::fail);
}

TEST_CASE("thp: files above the read cap are an error, not a pass") {
  auto r = run("thp.enabled", "thp/madvise", nlohmann::json::object(), nullptr, 8);
  CHECK(r.status == Status::error);
  CHECK(r.message.find("larger than 8 bytes") != std::string::npos);
}
