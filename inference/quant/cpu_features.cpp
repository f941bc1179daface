#include "inference/quant/cpu_features.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace glasswing::quant {

#if defined(__x86_64__) || defined(_M_X64)

namespace {

struct Features {
  bool f16c = false, avx2_fma_f16c = false;
};

Features detect() {
  Features f;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool fma = ecx & bit_FMA, osxsave = ecx & bit_OSXSAVE, avx = ecx & bit_AVX, f16c = ecx & bit_F16C;
  if (!(osxsave && avx)) return f;
  // XCR0 bits 1 and 2: the OS saves the SSE and AVX (YMM) state; without them VEX instructions fault.
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0x6u) != 0x6u) return f;
  f.f16c = f16c;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  f.avx2_fma_f16c = f16c && fma && (ebx & bit_AVX2);
  return f;
}

const Features& features() {
  static const Features f = detect();
  return f;
}

}  // namespace

bool cpu_has_f16c() {
  return features().f16c;
}
bool cpu_has_avx2_fma_f16c() {
  return features().avx2_fma_f16c;
}

#else

bool cpu_has_f16c() {
  return false;
}
bool cpu_has_avx2_fma_f16c() {
  return false;
}

#endif

}  // namespace glasswing::quant
