// Deterministic cost of Engine::validate, for comparing changes on a machine whose clock speed
// varies: counts the heap allocations of one validate (a counting operator new, in this driver
// only) and runs validate N times so that `valgrind --tool=callgrind
// --toggle-collect='gopreflight::webhook::Engine::validate*'` gives instructions per call.
// Usage: engine_count review.json [iterations | --print]   (built-in policy, like the server benchmark)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <optional>
#include <sstream>
#include <string>

#include "gopreflight/webhook/engine.hpp"

namespace {
unsigned long long g_allocations = 0;
unsigned long long g_bytes = 0;
}  // namespace

void* operator new(std::size_t n) {
  ++g_allocations;
  g_bytes += n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: engine_count review.json [iterations]\n");
    return 2;
  }
  const int iterations = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1000;
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "engine_count: cannot read %s\n", argv[1]);
    return 2;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string body = ss.str();
  std::string error;
  auto engine = gopreflight::webhook::Engine::load(std::nullopt, error);
  if (!engine) {
    std::fprintf(stderr, "engine_count: %s\n", error.c_str());
    return 2;
  }
  const auto first = engine->validate(body);  // warm-up, and the answer to show
  if (argc > 2 && std::string(argv[2]) == "--print") {  // the whole outcome, for comparing builds
    std::printf("http %d allowed %d uid %s kind %s ns %s name %s user %s op %s error %s\nrules:", first.http_status,
                first.allowed ? 1 : 0, first.uid.c_str(), first.kind.c_str(), first.ns.c_str(), first.name.c_str(),
                first.user.c_str(), first.operation.c_str(), first.error.c_str());
    for (const auto& r : first.rules_hit) std::printf(" %s", r.c_str());
    std::printf("\n%s\n", first.body.c_str());
    return 0;
  }
  const unsigned long long a0 = g_allocations, b0 = g_bytes;
  std::size_t sink = 0;
  for (int i = 0; i < iterations; ++i) sink += engine->validate(body).body.size();
  const double n = iterations;
  std::printf("%s: %zu bytes, http %d, allowed %d, body %zu bytes\n", argv[1], body.size(), first.http_status,
              first.allowed ? 1 : 0, first.body.size());
  std::printf("per validate: %.1f allocations, %.0f bytes allocated (%d iterations, sink %zu)\n",
              static_cast<double>(g_allocations - a0) / n, static_cast<double>(g_bytes - b0) / n, iterations, sink);
  return 0;
}
