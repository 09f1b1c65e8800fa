// GOMEMLIMIT/GOMAXPROCS syntax and advice (common/src/go_units.cpp), on literal strings.
#include <doctest/doctest.h>

#include <cstdint>

#include "gopreflight/common/go_units.hpp"

using namespace gopreflight::common;

TEST_CASE("parse_gomemlimit: Go's byte-count syntax, as the runtime reads it") {
  struct Row {
    const char* in;
    std::int64_t bytes;
  };
  const Row rows[] = {
      {"1800MiB", 1800LL << 20}, {"2GiB", 2LL << 30}, {"123456", 123456}, {"966367641B", 966367641},
      {"123B", 123},             {"1KiB", 1024},      {"1TiB", 1LL << 40}, {"0", 0},
      {"-0", 0},  // Go's atoi64 takes the sign; only a negative value is refused
      {"0B", 0},  {"8388607TiB", 8388607LL << 40}, {"9223372036854775807", INT64_MAX},
  };
  for (const auto& r : rows) {
    CAPTURE(r.in);
    auto g = parse_gomemlimit(r.in);
    REQUIRE_MESSAGE(g, g.error());
    CHECK_FALSE(g->off);
    CHECK(g->bytes == r.bytes);
  }
  auto off = parse_gomemlimit("off");
  REQUIRE(off);
  CHECK(off->off);
  for (const char* s : {"", "1.5GiB", "1GB", "1MB", "1PiB", "KiB", "B", "-1", "1gib", "1 GiB", " 1", " 100", "off ",
                        "OFF", "+1", "1Mi", "1Gi", "1iB", "1k", "1e3", "-", "-1MiB", "9223372036854775808", "8388608TiB",
                        "99999999999TiB", "99999999999999999999", "1KB"}) {
    CAPTURE(s);
    auto g = parse_gomemlimit(s);
    CHECK_FALSE(g);
    CHECK_FALSE(g.error().empty());
  }
  CHECK(parse_gomemlimit("1GB").error().find("not Go syntax") != std::string::npos);
  CHECK(parse_gomemlimit("1PiB").error().find("unknown unit") != std::string::npos);
  CHECK(parse_gomemlimit("-1").error().find("negative") != std::string::npos);
  CHECK(parse_gomemlimit("9223372036854775808").error().find("overflow") != std::string::npos);
}

TEST_CASE("parse_gomaxprocs: a positive integer, nothing else") {
  CHECK(*parse_gomaxprocs("4") == 4);
  CHECK(*parse_gomaxprocs("2147483647") == 2147483647);
  for (const char* bad : {"", "0", "-2", "four", " 4", "4 ", "4.5", "+4", "2147483648", "99999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_gomaxprocs(bad));
  }
}

TEST_CASE("format_go_bytes picks the largest exact unit") {
  CHECK(format_go_bytes(1LL << 30) == "1GiB");
  CHECK(format_go_bytes(1536LL << 20) == "1536MiB");
  CHECK(format_go_bytes(2048) == "2KiB");
  CHECK(format_go_bytes(1536) == "1536");
  CHECK(format_go_bytes(0) == "0");
  CHECK(format_go_bytes(3LL << 40) == "3TiB");
}

TEST_CASE("recommend_gomemlimit: one rounding (MiB from 16 MiB, KiB from 16 KiB, bytes), below the limit") {
  CHECK(recommend_gomemlimit(1LL << 30, 0.9) == "922MiB");     // 921.6 MiB
  CHECK(recommend_gomemlimit(512LL << 20, 0.9) == "461MiB");   // 460.8 MiB
  CHECK(recommend_gomemlimit(1LL << 30, 0.5) == "512MiB");
  CHECK(recommend_gomemlimit(16LL << 20, 0.9) == "14746KiB");  // 14.4 MiB < 16 MiB: KiB
  CHECK(recommend_gomemlimit(5LL << 20, 0.9) == "4608KiB");    // was "4MiB" in gopreflight-check
  CHECK(recommend_gomemlimit(1000000, 0.9) == "879KiB");       // was "900000B" in gopreflight-check
  CHECK(recommend_gomemlimit(10LL << 10, 0.9) == "9216");      // bytes
  CHECK(recommend_gomemlimit(20LL << 20, 1.0) == "19MiB");     // never at the limit
  CHECK(recommend_gomemlimit(1000000000, 0.9) == "858MiB");    // 1G decimal: 858.3 MiB
  CHECK(recommend_gomemlimit(0, 0.9) == "0");
  CHECK(recommended_gomemlimit_bytes(1LL << 30, 0.9) == 922LL << 20);
  CHECK(recommended_gomemlimit_bytes(5LL << 20, 0.9) == 4608LL << 10);
  // Every recommendation parses back to the bytes it stands for, below the limit.
  for (std::int64_t limit = 1; limit < (1LL << 41); limit = limit * 3 + 7) {
    for (double ratio : {0.05, 0.5, 0.9, 0.95, 0.999}) {
      CAPTURE(limit);
      CAPTURE(ratio);
      auto g = parse_gomemlimit(recommend_gomemlimit(limit, ratio));
      REQUIRE(g);
      CHECK(g->bytes == recommended_gomemlimit_bytes(limit, ratio));
      CHECK(g->bytes < limit);
    }
  }
}

TEST_CASE("recommend_gomaxprocs: max(1, ceil(millicores / 1000))") {
  CHECK(recommend_gomaxprocs(1) == 1);
  CHECK(recommend_gomaxprocs(100) == 1);
  CHECK(recommend_gomaxprocs(1000) == 1);
  CHECK(recommend_gomaxprocs(1001) == 2);
  CHECK(recommend_gomaxprocs(1500) == 2);
  CHECK(recommend_gomaxprocs(4000) == 4);
  CHECK(recommend_gomaxprocs(64001) == 65);
}
