// Durations (common/src/duration.cpp): the one parser of gopreflight-check's flags, config and probes.
#include <doctest/doctest.h>

#include "gopreflight/common/duration.hpp"

using namespace gopreflight::common;
using namespace std::chrono_literals;

TEST_CASE("parse_duration: Go-style units, fractions, sums") {
  CHECK(parse_duration("2s")->count() == 2000);
  CHECK(parse_duration("500ms")->count() == 500);
  CHECK(parse_duration("1m30s")->count() == 90000);
  CHECK(parse_duration("1.5s")->count() == 1500);
  CHECK(parse_duration("1h")->count() == 3600000);
  CHECK(parse_duration("0s")->count() == 0);
  for (const char* bad : {"", "2", "s", "2 s", "2S", "-1s", "+1s", "1d", "1.2.3s", "ms", "1s ", "25h"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad));
  }
  CHECK(parse_duration("2").error().find("missing unit") != std::string::npos);
  CHECK(parse_duration("1d").error().find("unknown unit") != std::string::npos);
}

TEST_CASE("parse_duration: the caller's bound, named in the message") {
  CHECK(parse_duration("10m", 10min)->count() == 600000);
  const auto r = parse_duration("11m", 10min);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("longer than 10m") != std::string::npos);
  CHECK_FALSE(parse_duration("10m1ms", 10min));
  CHECK(parse_duration("24h")->count() == 86400000);  // the default bound
  CHECK(parse_duration("24h1s").error().find("longer than 24h") != std::string::npos);
}

TEST_CASE("format_duration: the largest exact unit") {
  CHECK(format_duration(24h) == "24h");
  CHECK(format_duration(10min) == "10m");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(0ms) == "0ms");
}
