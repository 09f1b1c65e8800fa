#pragma once
// Introspection of the per-thread small-block cache that replaces the global operator new/delete
// in gopreflight-webhook (thread_cache.cpp; linked only into that executable and its test).
#include <cstddef>

namespace gopreflight::webhook::server {

/// Bytes of freed small blocks the calling thread holds for reuse.
std::size_t thread_cache_bytes() noexcept;
/// The most a thread holds; frees beyond it go to malloc.
std::size_t thread_cache_limit() noexcept;
/// Gives the calling thread's cached blocks back to malloc (after a wave of connections, so that
/// malloc_trim can return their pages; the event loops call it as gopreflight_thread_cache_flush).
void thread_cache_flush() noexcept;

}  // namespace gopreflight::webhook::server
