// Replacement of the global operator new/delete for gopreflight-webhook: small blocks (up to
// 512 bytes) are recycled through per-thread free lists; everything else is glibc malloc.
//
// Why: one admission review builds and frees a JSON tree of ~270 small nodes on one thread.
// glibc's per-thread cache holds 7 blocks per size, so most of those calls fall through to the
// arena (`_int_malloc`/`_int_free`: ~9% of the server's CPU in the benchmark's profile). Here a
// thread keeps up to kCacheBytes of freed small blocks, so a review's frees feed the next
// review's allocations without leaving the thread. Debian's mimalloc (2.0.9, replacing malloc
// and new/delete process-wide) was measured in its place: 12% more server CPU per review and
// 4.5 MiB more RSS (docs/development.md, "Webhook server: tests and benchmark").
//
// Layout: every block carries a 16-byte header (keeps 16-byte alignment) holding its size class,
// 0 for a block that came straight from malloc. A block freed on another thread joins that
// thread's list (threads serve requests end to end, so this is rare and harmless). A thread's
// list is returned to malloc when the thread exits (pthread key destructor); after that, its
// frees go to malloc directly. Only the unaligned forms are replaced: aligned new/delete stay
// libstdc++'s (aligned_alloc/free), which never see these blocks.
//
// Not built with sanitizers (ASan needs its own operator new to check new/delete pairs).
#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "thread_cache.hpp"

namespace {

constexpr std::size_t kHeader = 16;
constexpr std::size_t kGranule = 16;
constexpr std::size_t kMaxSmall = 512;
constexpr std::size_t kClasses = kMaxSmall / kGranule;  // classes 1..32; 0 = not cached
constexpr std::size_t kCacheBytes = 512 * 1024;         // per thread

struct Node {
  Node* next;
};

/// Zero-initialized and trivially destructible: thread_local access needs no guard.
struct Cache {
  Node* head[kClasses + 1];
  std::size_t bytes;
  bool registered;  ///< the exit destructor is set up
  bool exited;      ///< the thread is ending: no caching any more
};
thread_local Cache tl_cache;

pthread_key_t exit_key;
pthread_once_t exit_once = PTHREAD_ONCE_INIT;

void drain(Cache& c) {
  for (std::size_t k = 1; k <= kClasses; ++k) {
    Node* n = c.head[k];
    while (n) {
      Node* next = n->next;
      std::free(reinterpret_cast<char*>(n) - kHeader);
      n = next;
    }
    c.head[k] = nullptr;
  }
  c.bytes = 0;
}

void on_thread_exit(void*) {
  Cache& c = tl_cache;
  c.exited = true;
  drain(c);
}

void make_key() { pthread_key_create(&exit_key, on_thread_exit); }

std::size_t& header_of(void* p) { return *reinterpret_cast<std::size_t*>(static_cast<char*>(p) - kHeader); }

void* allocate(std::size_t n) noexcept {
  const std::size_t k = n == 0 ? 1 : (n + kGranule - 1) / kGranule;
  if (n <= kMaxSmall) {
    Cache& c = tl_cache;
    if (Node* b = c.head[k]) {
      c.head[k] = b->next;
      c.bytes -= k * kGranule;
      return b;
    }
    void* raw = std::malloc(kHeader + k * kGranule);
    if (!raw) return nullptr;
    *static_cast<std::size_t*>(raw) = k;
    return static_cast<char*>(raw) + kHeader;
  }
  if (n > SIZE_MAX - kHeader) return nullptr;
  void* raw = std::malloc(kHeader + n);
  if (!raw) return nullptr;
  *static_cast<std::size_t*>(raw) = 0;
  return static_cast<char*>(raw) + kHeader;
}

void release(void* p) noexcept {
  if (!p) return;
  const std::size_t k = header_of(p);
  if (k != 0 && k <= kClasses) {
    Cache& c = tl_cache;
    if (!c.exited && c.bytes + k * kGranule <= kCacheBytes) {
      if (!c.registered) {
        // Once per thread: arrange for the list to go back to malloc when the thread ends.
        pthread_once(&exit_once, make_key);
        pthread_setspecific(exit_key, &c);
        c.registered = true;
      }
      Node* b = static_cast<Node*>(p);
      b->next = c.head[k];
      c.head[k] = b;
      c.bytes += k * kGranule;
      return;
    }
  }
  std::free(static_cast<char*>(p) - kHeader);
}

void* allocate_or_throw(std::size_t n) {
  for (;;) {
    if (void* p = allocate(n)) return p;
    std::new_handler h = std::get_new_handler();
    if (!h) throw std::bad_alloc();
    h();
  }
}

}  // namespace

namespace gopreflight::webhook::server {

std::size_t thread_cache_bytes() noexcept { return tl_cache.bytes; }
void thread_cache_flush() noexcept { drain(tl_cache); }
std::size_t thread_cache_limit() noexcept { return kCacheBytes; }

}  // namespace gopreflight::webhook::server

/// For the event loops, which call it only when this object is linked in (a weak reference).
extern "C" void gopreflight_thread_cache_flush() noexcept { drain(tl_cache); }

void* operator new(std::size_t n) { return allocate_or_throw(n); }
void* operator new[](std::size_t n) { return allocate_or_throw(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate_or_throw(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate_or_throw(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
