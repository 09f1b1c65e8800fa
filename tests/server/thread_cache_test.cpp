// gopreflight-webhook's global operator new/delete (webhook/server/alloc/thread_cache.cpp). This
// test executable links it, so every allocation below (and doctest's own) goes through it.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "thread_cache.hpp"

namespace tc = gopreflight::webhook::server;

namespace {
/// Fills a block with a pattern derived from its index, so overlapping blocks show up.
void fill(unsigned char* p, std::size_t n, std::size_t i) {
  for (std::size_t k = 0; k < n; ++k) p[k] = static_cast<unsigned char>((i * 131 + k) & 0xff);
}
bool intact(const unsigned char* p, std::size_t n, std::size_t i) {
  for (std::size_t k = 0; k < n; ++k) {
    if (p[k] != static_cast<unsigned char>((i * 131 + k) & 0xff)) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("thread cache: blocks of every size are distinct, aligned and keep their contents") {
  struct Block {
    unsigned char* p;
    std::size_t n;
  };
  std::vector<Block> blocks;
  for (int round = 0; round < 3; ++round) {  // the later rounds reuse cached blocks
    blocks.clear();
    for (std::size_t n = 0; n <= 1100; ++n) {
      auto* p = static_cast<unsigned char*>(::operator new(n));
      REQUIRE(p != nullptr);
      CHECK(reinterpret_cast<std::uintptr_t>(p) % 16 == 0);
      fill(p, n, blocks.size());
      blocks.push_back({p, n});
    }
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      CAPTURE(blocks[i].n);
      CHECK(intact(blocks[i].p, blocks[i].n, i));
    }
    // Freed in a different order than allocated; sized and unsized deletes mixed.
    for (std::size_t i = 0; i < blocks.size(); i += 2) ::operator delete(blocks[i].p, blocks[i].n);
    for (std::size_t i = 1; i < blocks.size(); i += 2) ::operator delete(blocks[i].p);
  }
}

TEST_CASE("thread cache: freed small blocks are kept for reuse, up to the limit") {
  // No doctest macro between the steps: it allocates too. `escape` keeps the compiler from
  // removing a new/delete pair whose block is never used (C++14 allows that).
  const auto escape = [](void* x) { asm volatile("" : : "r"(x) : "memory"); };
  void* p = ::operator new(100);  // class 7: 112 bytes
  escape(p);
  const std::size_t held = tc::thread_cache_bytes();
  ::operator delete(p);
  const std::size_t after_free = tc::thread_cache_bytes();
  void* q = ::operator new(100);
  escape(q);
  const std::size_t after_reuse = tc::thread_cache_bytes();
  void* big = ::operator new(513);  // large blocks are never cached
  escape(big);
  ::operator delete(big);
  const std::size_t after_big = tc::thread_cache_bytes();
  ::operator delete(q);
  CHECK(after_free == held + 112);
  CHECK(q == p);  // the same block comes back
  CHECK(after_reuse == held);
  CHECK(after_big == held);
  // Far more freed than the limit: the cache stays within it.
  std::vector<void*> many(tc::thread_cache_limit() / 256 * 2);
  for (auto& m : many) m = ::operator new(256);
  for (auto* m : many) ::operator delete(m);
  CHECK(tc::thread_cache_bytes() <= tc::thread_cache_limit());
  CHECK(tc::thread_cache_bytes() > tc::thread_cache_limit() - 256);
}

TEST_CASE("thread cache: blocks freed on another thread, and a thread's cache at its exit") {
  std::vector<std::string*> made;
  std::thread producer([&] {
    for (int i = 0; i < 20000; ++i) made.push_back(new std::string(40, static_cast<char>('a' + i % 26)));
  });
  producer.join();
  std::atomic<std::size_t> cached_at_end{0};
  std::thread consumer([&] {
    for (std::size_t i = 0; i < made.size(); ++i) {
      REQUIRE(*made[i] == std::string(40, static_cast<char>('a' + static_cast<int>(i) % 26)));
      delete made[i];
    }
    cached_at_end = tc::thread_cache_bytes();
  });
  consumer.join();
  CHECK(cached_at_end.load() > 0);  // the consumer kept some, and returned them when it ended
  // Threads that come and go, each allocating and freeing: nothing breaks, nothing is shared.
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&ok, t] {
      std::map<std::string, std::vector<int>> m;
      for (int i = 0; i < 5000; ++i) m["key-" + std::to_string(i * 8 + t)].assign(static_cast<std::size_t>(i % 40), i);
      bool good = true;
      for (int i = 0; i < 5000; ++i) {
        const auto& v = m["key-" + std::to_string(i * 8 + t)];
        good = good && v.size() == static_cast<std::size_t>(i % 40) && (v.empty() || v.back() == i);
      }
      if (good) ++ok;
    });
  }
  for (auto& t : ts) t.join();
  CHECK(ok.load() == 8);
}

TEST_CASE("thread cache: impossible sizes fail as the standard says") {
  volatile std::size_t huge_v = std::numeric_limits<std::size_t>::max() - 8;  // not a constant: no compile-time warning
  const std::size_t huge = huge_v;
  CHECK_THROWS_AS(static_cast<void>(::operator new(huge)), std::bad_alloc);
  CHECK(::operator new(huge, std::nothrow) == nullptr);
  CHECK(::operator new[](huge, std::nothrow) == nullptr);
  // Arrays and nothrow forms pair with their deletes.
  auto* a = new int[1000];
  a[999] = 7;
  CHECK(a[999] == 7);
  delete[] a;
  auto* b = new (std::nothrow) char[10];
  REQUIRE(b != nullptr);
  std::memset(b, 1, 10);
  ::operator delete[](b, std::nothrow);
  ::operator delete(nullptr);
}
