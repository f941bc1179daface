#include "tests/gguf/alloc_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

// Each block carries its size in a 16-byte prefix (keeping malloc's 16-byte alignment), so delete knows
// what to subtract even when the unsized operator delete is called.
namespace {

std::atomic<size_t> g_live{0};
std::atomic<size_t> g_peak{0};
constexpr size_t kPrefix = 16;

void* counted_alloc(size_t n) {
  auto* p = static_cast<unsigned char*>(std::malloc(n + kPrefix));
  if (!p) return nullptr;
  *reinterpret_cast<size_t*>(p) = n;
  const size_t live = g_live.fetch_add(n) + n;
  size_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
  return p + kPrefix;
}

void counted_free(void* q) {
  if (!q) return;
  auto* p = static_cast<unsigned char*>(q) - kPrefix;
  g_live.fetch_sub(*reinterpret_cast<size_t*>(p));
  std::free(p);
}

}  // namespace

namespace glasswing::test {
size_t alloc_live_bytes() {
  return g_live.load();
}
size_t alloc_peak_bytes() {
  return g_peak.load();
}
void reset_alloc_peak() {
  g_peak.store(g_live.load());
}
}  // namespace glasswing::test

void* operator new(size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return counted_alloc(n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return counted_alloc(n);
}
void operator delete(void* p) noexcept {
  counted_free(p);
}
void operator delete[](void* p) noexcept {
  counted_free(p);
}
void operator delete(void* p, size_t) noexcept {
  counted_free(p);
}
void operator delete[](void* p, size_t) noexcept {
  counted_free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  counted_free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  counted_free(p);
}
