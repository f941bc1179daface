#pragma once
// The x86 half of the CPU engine's f32 kernels (dot_f32.cpp, attention_f32.cpp). Functions marked GW_AVX2 are
// compiled for AVX2/FMA one by one and called only after has_avx2_fma() said yes, so the library still runs
// on any x86-64. Internal linkage, so that no AVX2 copy of a helper can stand in for code run elsewhere.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GW_HAVE_X86 1
#define GW_AVX2 __attribute__((target("avx2,fma")))

namespace glasswing::cpu {
namespace {

bool has_avx2_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

GW_AVX2 inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

}  // namespace
}  // namespace glasswing::cpu
#endif
