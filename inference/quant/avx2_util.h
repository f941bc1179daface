#pragma once
// Small AVX2 building blocks shared by the x86 kernels. Internal; include only from files that check
// __x86_64__ and call these only after kernels::cpu_has_avx2(). Everything is internal-linkage so no
// AVX2-compiled copy of a function can be picked by the linker for code that runs on other CPUs.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#define GW_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace glasswing::quant::kernels {
namespace {

// fp16 -> f32 in one instruction (F16C); identical to fp16_to_f32 (see the fp16 tests).
GW_AVX2 inline float f16_scale(uint16_t h) {
  return _cvtsh_ss(h);
}

// Software prefetch for the decode mat-vec, which reads every weight row once, rows one after another. The
// hardware prefetchers start over at every 4 KiB page, and one core alone read q8_0 rows at ~5 GB/s here
// (~9 GB/s with this; docs/benchmarks.md). Each kernel asks, for every block it reads, for the `lines` cache
// lines kPrefetchBytes further on (as many as the block spans; no branch, a repeated request is cheap). Rows
// of a matrix are contiguous, so near the end of a row this already fetches the next one.
constexpr int64_t kPrefetchBytes = 2048;
template <int lines = 1>
GW_AVX2 inline void prefetch_ahead(const void* p) {
  const char* a = static_cast<const char*>(p) + kPrefetchBytes;
  for (int l = 0; l < lines; ++l) _mm_prefetch(a + 64 * l, _MM_HINT_T0);
}

GW_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

GW_AVX2 inline __m256 widen(__m128i eight_bytes) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(eight_bytes));
}

// Products of 32 signed int8 codes with x[0..31]: lanes summed separately for elements 0..15 and 16..31.
struct Halves {
  __m256 lo, hi;
};
GW_AVX2 inline Halves dot32_halves(__m256i q, const float* x) {
  const __m128i a = _mm256_castsi256_si128(q), b = _mm256_extracti128_si256(q, 1);
  __m256 lo = _mm256_mul_ps(widen(a), _mm256_loadu_ps(x));
  lo = _mm256_fmadd_ps(widen(_mm_srli_si128(a, 8)), _mm256_loadu_ps(x + 8), lo);
  __m256 hi = _mm256_mul_ps(widen(b), _mm256_loadu_ps(x + 16));
  hi = _mm256_fmadd_ps(widen(_mm_srli_si128(b, 8)), _mm256_loadu_ps(x + 24), hi);
  return {lo, hi};
}

GW_AVX2 inline __m256 dot32(__m256i q, const float* x) {
  const Halves h = dot32_halves(q, x);
  return _mm256_add_ps(h.lo, h.hi);
}

GW_AVX2 inline __m256 sum16(const float* x) {
  return _mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8));
}
GW_AVX2 inline __m256 sum32(const float* x) {
  return _mm256_add_ps(sum16(x), sum16(x + 16));
}

// 16 packed bytes -> 32 codes: low nibbles (elements 0..15) then high nibbles (elements 16..31).
GW_AVX2 inline __m256i nibbles(const uint8_t* qs) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), m), _mm_and_si128(v, m));
}

// 32 bits -> 32 byte lanes, 0xFF where bit i is set.
GW_AVX2 inline __m256i bit_lanes(uint32_t bits) {
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0x0000000000000000));
  const __m256i select = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
}

GW_AVX2 inline __m256i load32(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// Q5_0/Q5_1: 16 packed bytes of low nibbles plus 32 fifth bits -> 32 codes 0..31 (element order as
// nibbles()).
GW_AVX2 inline __m256i q5_codes(const uint8_t* qh, const uint8_t* qs) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  return _mm256_or_si256(nibbles(qs), _mm256_and_si256(bit_lanes(bits), _mm256_set1_epi8(0x10)));
}

// Q4_K/Q5_K: the 64 codes of sub-blocks g and g + 1 (g even) from their 32 packed bytes: q0 the low nibbles
// (sub-block g), q1 the high ones (g + 1); with kFifthBit, bits g and g + 1 of qh's bytes add 16.
struct CodePair {
  __m256i q0, q1;
};
template <bool kFifthBit>
GW_AVX2 inline CodePair q45_k_codes(__m256i bytes, __m256i qh, int g) {
  const __m256i low4 = _mm256_set1_epi8(0x0F), sixteen = _mm256_set1_epi8(0x10);
  __m256i q0 = _mm256_and_si256(bytes, low4);
  __m256i q1 = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low4);
  if constexpr (kFifthBit) {
    const __m256i b0 = _mm256_set1_epi8(static_cast<char>(1 << g)),
                  b1 = _mm256_set1_epi8(static_cast<char>(2 << g));
    q0 = _mm256_or_si256(q0, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b0), b0), sixteen));
    q1 = _mm256_or_si256(q1, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b1), b1), sixteen));
  }
  return {q0, q1};
}

}  // namespace
}  // namespace glasswing::quant::kernels
