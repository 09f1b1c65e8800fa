// Kubernetes quantities and Go GOMEMLIMIT syntax, on literal strings.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "gopreflight/webhook/quantity.hpp"

using namespace gopreflight::webhook;

TEST_SUITE("quantity") {
  TEST_CASE("Kubernetes quantities: Value() and MilliValue() round up away from zero") {
    struct Row {
      const char* in;
      std::int64_t value;
      std::int64_t milli;
    };
    const Row rows[] = {
        {"512Mi", 536870912, 536870912000},
        {"1.5Gi", 1610612736, 1610612736000},
        {"500m", 1, 500},
        {"2", 2, 2000},
        {"1e3", 1000, 1000000},
        {"1E3", 1000, 1000000},
        {"1e+3", 1000, 1000000},
        {"1E+3", 1000, 1000000},
        {"1e-3", 1, 1},
        {"+1k", 1000, 1000000},
        {"0.5", 1, 500},
        {".5", 1, 500},
        {"1.", 1, 1000},
        {"1.e3", 1000, 1000000},
        {"1.5e3", 1500, 1500000},
        {"100e-2", 1, 1000},
        {"0", 0, 0},
        {"000", 0, 0},
        {"-0", 0, 0},
        {"0Mi", 0, 0},
        {"0.000", 0, 0},
        {"-1", -1, -1000},
        {"-500m", -1, -500},
        {"1.5m", 1, 2},
        {"1n", 1, 1},
        {"1u", 1, 1},
        {"1000u", 1, 1},
        {"1500u", 1, 2},
        {"1k", 1000, 1000000},
        {"1M", 1000000, 1000000000},
        {"1G", 1000000000, 1000000000000},
        {"1T", 1000000000000, 1000000000000000},
        {"1P", 1000000000000000, 1000000000000000000},
        {"1Ki", 1024, 1024000},
        {"1Mi", 1048576, 1048576000},
        {"1Gi", 1073741824, 1073741824000},
        {"1Ti", 1099511627776, 1099511627776000},
        {"1Pi", 1125899906842624, 1125899906842624000},
        {"0.5Ki", 512, 512000},
        {"0.3Ki", 308, 307200},  // 307.2 rounds up
        {"1.000000000000000000", 1, 1000},
        {"0012", 12, 12000},
        {"128974848", 128974848, 128974848000},
        {"129e6", 129000000, 129000000000},
        {"123Mi", 128974848, 128974848000},
    };
    for (const auto& r : rows) {
      CAPTURE(r.in);
      auto q = parse_quantity(r.in);
      REQUIRE_MESSAGE(q, q.error());
      auto v = q->value();
      REQUIRE_MESSAGE(v, v.error());
      CHECK(*v == r.value);
      auto m = q->milli_value();
      REQUIRE_MESSAGE(m, m.error());
      CHECK(*m == r.milli);
    }
  }

  TEST_CASE("values at the int64 edge") {
    auto max = parse_quantity("9223372036854775807");
    REQUIRE(max);
    CHECK(*max->value() == INT64_MAX);
    CHECK_FALSE(max->milli_value());  // *1000 overflows
    auto e7 = parse_quantity("7Ei");
    REQUIRE(e7);
    CHECK(*e7->value() == 7 * (INT64_C(1) << 60));
    auto e1 = parse_quantity("1E");
    REQUIRE(e1);
    CHECK(*e1->value() == INT64_C(1000000000000000000));
    for (const char* big : {"9223372036854775808", "8Ei", "1e19", "10E", "9.3e18", "1e2147483647"}) {
      CAPTURE(big);
      auto q = parse_quantity(big);
      REQUIRE_MESSAGE(q, q.error());  // the syntax is fine
      auto v = q->value();
      CHECK_FALSE(v);
      CHECK(v.error().find("64-bit") != std::string::npos);
    }
    auto tiny = parse_quantity("1e-40");
    REQUIRE(tiny);
    CHECK(*tiny->value() == 1);
    CHECK(*tiny->milli_value() == 1);
    auto tiny_neg = parse_quantity("-1e-2147483647");
    REQUIRE(tiny_neg);
    CHECK(*tiny_neg->value() == -1);
  }

  TEST_CASE("malformed quantities are errors naming the input") {
    const char* bad[] = {"",      "abc",  "Mi",   "1K",        "1KiB",   "1 Mi", " 1",   "1Mi ", "1e",
                         "1e3.5", "1.2.3", "--1", "+-1",       ".",      "+",    "-",    "1ee3", "0x10",
                         "1,000", "1_000", "1m3", "1Gib",      "1gi",    "1mi",  "1b",   "1e+", "1e-",
                         "1e99999999999",   "12345678901234567891", "1.0000000000000000001", "Infinity", "NaN",
                         "1e3e3", "1\n",   "\xff"};
    for (const char* s : bad) {
      CAPTURE(s);
      auto q = parse_quantity(s);
      CHECK_FALSE(q);
      CHECK_FALSE(q.error().empty());
    }
    CHECK(parse_quantity("1K").error().find("unknown suffix \"K\"") != std::string::npos);
    CHECK(parse_quantity("").error() == "empty quantity");
    CHECK(parse_quantity("12345678901234567891").error().find("19 significant digits") != std::string::npos);
  }

  TEST_CASE("GOMEMLIMIT in Go syntax") {
    struct Row {
      const char* in;
      std::int64_t bytes;
    };
    const Row rows[] = {
        {"1800MiB", 1800LL << 20}, {"2GiB", 2LL << 30},     {"123456", 123456},
        {"123B", 123},             {"1KiB", 1024},          {"1TiB", 1LL << 40},
        {"0", 0},                  {"-0", 0},               {"0B", 0},
        {"8388607TiB", 8388607LL << 40}, {"9223372036854775807", INT64_MAX},
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
    const char* bad[] = {"",     "1.5GiB", "1GB",  "1MB",   "1PiB",  "KiB",  "B",    "-1",   "1gib", "1 GiB",
                         " 1",   "off ",   "OFF",  "+1",    "1Mi",   "1iB",  "1k",   "1e3",  "-",    "-1MiB",
                         "9223372036854775808", "8388608TiB", "99999999999999999999", "1KB"};
    for (const char* s : bad) {
      CAPTURE(s);
      auto g = parse_gomemlimit(s);
      CHECK_FALSE(g);
      CHECK_FALSE(g.error().empty());
    }
    CHECK(parse_gomemlimit("1GB").error().find("not Go syntax") != std::string::npos);
    CHECK(parse_gomemlimit("1PiB").error().find("unknown unit") != std::string::npos);
    CHECK(parse_gomemlimit("9223372036854775808").error().find("overflow") != std::string::npos);
  }

  TEST_CASE("recommended GOMEMLIMIT: ratio of the limit, nearest MiB, below the limit") {
    CHECK(recommend_gomemlimit(1LL << 30, 0.9) == "922MiB");     // 921.6 MiB
    CHECK(recommend_gomemlimit(512LL << 20, 0.9) == "461MiB");   // 460.8 MiB
    CHECK(recommend_gomemlimit(2LL << 30, 0.9) == "1843MiB");    // 1843.2 MiB
    CHECK(recommend_gomemlimit(100LL << 20, 0.9) == "90MiB");
    CHECK(recommend_gomemlimit(16LL << 20, 0.9) == "14746KiB");  // 14.4 MiB < 16 MiB: KiB
    CHECK(recommend_gomemlimit(10LL << 10, 0.9) == "9216");      // bytes
    CHECK(recommend_gomemlimit(20LL << 20, 1.0) == "19MiB");     // never at the limit
    CHECK(recommend_gomemlimit(1000000000, 0.9) == "858MiB");    // 1G decimal: 858.3 MiB
    // The recommendation parses back as Go syntax and stays under the limit.
    for (std::int64_t limit : {64LL << 20, 1000000000LL, 3LL << 30, 123456789LL, 17LL << 20}) {
      auto g = parse_gomemlimit(recommend_gomemlimit(limit, 0.9));
      REQUIRE(g);
      CHECK(g->bytes < limit);
      CHECK(g->bytes > limit * 85 / 100);
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
}
