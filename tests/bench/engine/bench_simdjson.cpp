// Is our JSON reader worth keeping? read_json into nlohmann::json (as /validate reads, with
// managedFields checked but not built) against simdjson (Debian libsimdjson-dev) on the same
// AdmissionReview bytes: On-Demand walking every value and copying every key and string, which is
// what filling a typed model straight from the bytes would cost at most (it reads managedFields
// too), and simdjson's DOM parser. Built only when simdjson is installed; prints figures.
// Usage: bench_simdjson [review.json ...]   (default: the engine benchmark's two reviews)
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gopreflight/webhook/admission.hpp"
#include "gopreflight/webhook/json_reader.hpp"

using Clock = std::chrono::steady_clock;

static std::size_t sink = 0;

static void walk(simdjson::ondemand::value v) {
  switch (v.type()) {
    case simdjson::ondemand::json_type::object:
      for (auto field : v.get_object()) {
        std::string key(field.unescaped_key().value());
        sink += key.size();
        walk(field.value());
      }
      break;
    case simdjson::ondemand::json_type::array:
      for (auto e : v.get_array()) walk(e.value());
      break;
    case simdjson::ondemand::json_type::string: {
      std::string s(v.get_string().value());
      sink += s.size();
      break;
    }
    case simdjson::ondemand::json_type::number: sink += static_cast<std::size_t>(v.get_double().value()); break;
    case simdjson::ondemand::json_type::boolean: sink += v.get_bool().value() ? 1u : 0u; break;
    case simdjson::ondemand::json_type::null: sink += 1; break;
  }
}

template <class F>
double median_us(F&& f, int n) {
  std::vector<double> t;
  for (int i = 0; i < n; ++i) {
    auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

static void run(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  static constexpr std::string_view kUnread[] = {"managedFields"};
  const simdjson::padded_string padded(text);
  simdjson::ondemand::parser od;
  simdjson::dom::parser dom;
  const int n = 4000;
  for (int round = 0; round < 3; ++round) {
    const double ours = median_us([&] {
      auto p = gopreflight::webhook::read_json(text, gopreflight::webhook::kMaxJsonDepth, kUnread);
      sink += p->size();
      gopreflight::webhook::release_json(*p);
    }, n);
    const double ondemand = median_us([&] {
      auto doc = od.iterate(padded);
      walk(doc.get_value().value());
    }, n);
    const double domparse = median_us([&] {
      auto el = dom.parse(padded);
      sink += el.is_object();
    }, n);
    std::printf("%s (%zu bytes), median of %d: read_json %.2f us | simdjson on-demand, every value copied %.2f us | "
                "simdjson dom::parse %.2f us\n",
                path, text.size(), n, ours, ondemand, domparse);
  }
}

int main(int argc, char** argv) {
  if (argc > 1) {
    for (int i = 1; i < argc; ++i) run(argv[i]);
  } else {
    run(GP_BENCH_REVIEW);
    run(GP_BENCH_APPLY_REVIEW);
  }
  return sink == 42 ? 1 : 0;
}
