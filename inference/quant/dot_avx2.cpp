// AVX2 + FMA + F16C dot kernels. Each decodes a block's codes into int8 lanes in registers, widens them to
// float and multiply-adds with x, applying the block (or sub-block) scale once per group; mins are applied
// through the group's sum of x. Only functions marked GW_AVX2 use these instructions, and they are reached
// only after cpu_has_avx2() said yes, so the library still runs on any x86-64.
#include "inference/quant/dot_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include <array>
#include <cstring>
#include <type_traits>

#include "inference/quant/avx2_util.h"
#include "inference/quant/blocks.h"
#include "inference/quant/cpu_features.h"
#include "inference/quant/fp16.h"
#include "inference/quant/iq_grids.h"
#include "inference/quant/iquants.h"

namespace glasswing::quant::kernels {

namespace {

using namespace blocks;

GW_AVX2 float dot_f32(const void* row, const float* x, int64_t n) {
  const auto* w = static_cast<const float*>(row);
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    prefetch_ahead<2>(w + i);  // 128 bytes
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; i < n; ++i) sum += w[i] * x[i];
  return sum;
}

GW_AVX2 inline __m256 load_f16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
GW_AVX2 inline __m256 load_bf16(const uint16_t* p) {
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

template <bool kBf16>
GW_AVX2 inline __m256 load(const uint16_t* p) {
  if constexpr (kBf16) return load_bf16(p);
  return load_f16(p);
}

template <bool kBf16>
GW_AVX2 float dot_half(const void* row, const float* x, int64_t n) {
  const auto* w = static_cast<const uint16_t*>(row);
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    prefetch_ahead(w + i);  // 64 bytes
    a0 = _mm256_fmadd_ps(load<kBf16>(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(load<kBf16>(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    a2 = _mm256_fmadd_ps(load<kBf16>(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
    a3 = _mm256_fmadd_ps(load<kBf16>(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(load<kBf16>(w + i), _mm256_loadu_ps(x + i), a0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; i < n; ++i) sum += (kBf16 ? bf16_to_f32(w[i]) : fp16_to_f32(w[i])) * x[i];
  return sum;
}

GW_AVX2 float dot_q8_0(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const Q8_0*>(row);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    prefetch_ahead(b + i);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d)), dot32(load32(b[i].qs), x), acc);
  }
  return hsum(acc);
}

GW_AVX2 float dot_q4_0(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const Q4_0*>(row);
  const __m256i eight = _mm256_set1_epi8(8);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    prefetch_ahead(b + i);
    const __m256i q = _mm256_sub_epi8(nibbles(b[i].qs), eight);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d)), dot32(q, x), acc);
  }
  return hsum(acc);
}

// 32 nibbles (IQ4_NL's order, MXFP4's too) looked up in a 16-entry codebook with one byte shuffle.
GW_AVX2 inline __m256i codebook_values(const int8_t (&codebook)[16], const uint8_t* qs) {
  const __m256i table =
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codebook)));
  return _mm256_shuffle_epi8(table, nibbles(qs));
}

GW_AVX2 float dot_iq4_nl(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const IQ4_NL*>(row);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    prefetch_ahead(b + i);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d)), dot32(codebook_values(kIq4Values, b[i].qs), x),
                          acc);
  }
  return hsum(acc);
}

GW_AVX2 float dot_iq4_xs(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const IQ4_XS*>(row);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQKK; ++i) {
    prefetch_ahead(b + i);
    const float d = f16_scale(b[i].d);
    for (int ib = 0; ib < kQKK / kQK; ++ib, x += kQK) {
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d * static_cast<float>(iq4_xs_scale(b[i], ib))),
                            dot32(codebook_values(kIq4Values, b[i].qs + ib * (kQK / 2)), x), acc);
    }
  }
  return hsum(acc);
}

// MXFP4: the doubled E2M1 grid as the codebook, a power-of-two scale.
GW_AVX2 float dot_mxfp4(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const MXFP4*>(row);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    prefetch_ahead(b + i);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(mxfp4_scale(b[i].e)),
                          dot32(codebook_values(kMxfp4Values, b[i].qs), x), acc);
  }
  return hsum(acc);
}

GW_AVX2 float dot_q4_1(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const Q4_1*>(row);
  __m256 acc = _mm256_setzero_ps(), acc_m = acc;
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    prefetch_ahead(b + i);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d)), dot32(nibbles(b[i].qs), x), acc);
    acc_m = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].m)), sum32(x), acc_m);
  }
  return hsum(_mm256_add_ps(acc, acc_m));
}

GW_AVX2 float dot_q5_0(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const Q5_0*>(row);
  const __m256i sixteen = _mm256_set1_epi8(16);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    prefetch_ahead(b + i);
    const __m256i q = _mm256_sub_epi8(q5_codes(b[i].qh, b[i].qs), sixteen);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d)), dot32(q, x), acc);
  }
  return hsum(acc);
}

GW_AVX2 float dot_q5_1(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const Q5_1*>(row);
  __m256 acc = _mm256_setzero_ps(), acc_m = acc;
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    prefetch_ahead(b + i);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d)), dot32(q5_codes(b[i].qh, b[i].qs), x), acc);
    acc_m = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].m)), sum32(x), acc_m);
  }
  return hsum(_mm256_add_ps(acc, acc_m));
}

// Eight unsigned bytes as eight floats.
GW_AVX2 inline __m256 bytes8_to_ps(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// d times each of 16 signed 8-bit scales, as floats in `out`: a block's scales converted together, so the
// inner loops broadcast them from memory instead of converting and multiplying one at a time.
GW_AVX2 inline void scaled16(float d, const int8_t* sc, float* out) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(sc));
  const __m256 dv = _mm256_set1_ps(d);
  _mm256_storeu_ps(out, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v))));
  _mm256_storeu_ps(out + 8,
                   _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)))));
}

// d times each of 16 unsigned bytes (q2_K's four-bit scales or mins), as floats in `out`.
GW_AVX2 inline void scaled_nibbles16(float d, __m128i v, float* out) {
  const __m256 dv = _mm256_set1_ps(d);
  _mm256_storeu_ps(out, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v))));
  _mm256_storeu_ps(out + 8,
                   _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(v, 8)))));
}

GW_AVX2 float dot_q2_k(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const Q2_K*>(row);
  const __m256i three = _mm256_set1_epi8(3);
  const __m128i low4 = _mm_set1_epi8(0x0F);
  __m256 acc = _mm256_setzero_ps(), acc_m = acc;
  for (int64_t i = 0; i < n / kQKK; ++i) {
    prefetch_ahead<2>(b + i);  // 84 bytes
    // Each scale byte: the scale of 16 elements in its low nibble, their min in the high one.
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].scales));
    alignas(32) float scale[16], min[16];
    scaled_nibbles16(f16_scale(b[i].d), _mm_and_si128(raw, low4), scale);
    scaled_nibbles16(f16_scale(b[i].dmin), _mm_and_si128(_mm_srli_epi16(raw, 4), low4), min);
    const float* sc = scale;
    const float* mn = min;
    for (int half = 0; half < 2; ++half) {
      const __m256i bytes = load32(b[i].qs + 32 * half);
      for (int k = 0; k < 4; ++k, x += 32, sc += 2, mn += 2) {
        const __m256i q = _mm256_and_si256(_mm256_srli_epi16(bytes, 2 * k), three);
        const Halves h = dot32_halves(q, x);
        acc = _mm256_fmadd_ps(_mm256_broadcast_ss(sc), h.lo, acc);
        acc = _mm256_fmadd_ps(_mm256_broadcast_ss(sc + 1), h.hi, acc);
        acc_m = _mm256_fmadd_ps(_mm256_broadcast_ss(mn), sum16(x), acc_m);
        acc_m = _mm256_fmadd_ps(_mm256_broadcast_ss(mn + 1), sum16(x + 16), acc_m);
      }
    }
  }
  return hsum(_mm256_sub_ps(acc, acc_m));
}

GW_AVX2 float dot_q3_k(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const Q3_K*>(row);
  const __m256i three = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQKK; ++i) {
    prefetch_ahead<2>(b + i);  // 110 bytes
    int8_t scales[16];
    q3k_scales(b[i].scales, scales);
    alignas(32) float scale[16];
    scaled16(f16_scale(b[i].d), scales, scale);
    const __m256i hmask = load32(b[i].hmask);
    const float* sc = scale;
    for (int half = 0; half < 2; ++half) {
      const __m256i bytes = load32(b[i].qs + 32 * half);
      for (int k = 0; k < 4; ++k, x += 32, sc += 2) {
        const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << (4 * half + k)));
        const __m256i high = _mm256_cmpeq_epi8(_mm256_and_si256(hmask, bit), bit);
        const __m256i low = _mm256_and_si256(_mm256_srli_epi16(bytes, 2 * k), three);
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(low, _mm256_and_si256(high, four)), four);
        const Halves h = dot32_halves(q, x);
        acc = _mm256_fmadd_ps(_mm256_broadcast_ss(sc), h.lo, acc);
        acc = _mm256_fmadd_ps(_mm256_broadcast_ss(sc + 1), h.hi, acc);
      }
    }
  }
  return hsum(acc);
}

// q4_K / q5_K. kSums: the sums of x over each 32 elements come precomputed (row_dot_mins, once per
// mat-vec) instead of being added up again for every row; the block's eight mins then meet their eight sums
// in one vector multiply-add. The eight scales are converted to floats together too (one at a time, the
// scalar conversions and broadcasts were a fifth of the kernel's instructions).
template <bool kFifthBit, bool kSums>
GW_AVX2 float dot_q45_k_impl(const void* row, const float* x, const float* sums32, int64_t n) {
  using Block = std::conditional_t<kFifthBit, Q5_K, Q4_K>;
  const auto* b = static_cast<const Block*>(row);
  __m256 acc = _mm256_setzero_ps(), acc_m = acc;
  for (int64_t i = 0; i < n / kQKK; ++i) {
    prefetch_ahead<3>(b + i);  // 144 or 176 bytes
    const float d = f16_scale(b[i].d), dmin = f16_scale(b[i].dmin);
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kFifthBit) qh = load32(b[i].qh);
    uint8_t sm[16];
    scales_mins_k4(b[i].scales, sm);
    alignas(32) float scale[8];
    _mm256_store_ps(scale, _mm256_mul_ps(_mm256_set1_ps(d), bytes8_to_ps(sm)));
    const __m256 mins = _mm256_mul_ps(_mm256_set1_ps(dmin), bytes8_to_ps(sm + 8));
    if constexpr (kSums) acc_m = _mm256_fmadd_ps(mins, _mm256_loadu_ps(sums32 + 8 * i), acc_m);
    for (int g = 0; g < 8; g += 2, x += 64) {
      const __m256i bytes = load32(b[i].qs + 16 * g);
      const auto [q0, q1] = q45_k_codes<kFifthBit>(bytes, qh, g);
      acc = _mm256_fmadd_ps(_mm256_broadcast_ss(scale + g), dot32(q0, x), acc);
      acc = _mm256_fmadd_ps(_mm256_broadcast_ss(scale + g + 1), dot32(q1, x + 32), acc);
      if constexpr (!kSums) {
        acc_m = _mm256_fmadd_ps(_mm256_set1_ps(dmin * sm[8 + g]), sum32(x), acc_m);
        acc_m = _mm256_fmadd_ps(_mm256_set1_ps(dmin * sm[9 + g]), sum32(x + 32), acc_m);
      }
    }
  }
  return hsum(_mm256_sub_ps(acc, acc_m));
}
template <bool kFifthBit>
GW_AVX2 float dot_q45_k(const void* row, const float* x, int64_t n) {
  return dot_q45_k_impl<kFifthBit, false>(row, x, nullptr, n);
}
template <bool kFifthBit>
GW_AVX2 float dot_q45_k_sums(const void* row, const float* x, const float* sums32, int64_t n) {
  return dot_q45_k_impl<kFifthBit, true>(row, x, sums32, n);
}

GW_AVX2 float dot_q6_k(const void* row, const float* x, int64_t n) {
  const auto* b = static_cast<const Q6_K*>(row);
  const __m256i low4 = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3), offset = _mm256_set1_epi8(32);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQKK; ++i) {
    prefetch_ahead<4>(b + i);  // 210 bytes
    alignas(32) float scale[16];
    scaled16(f16_scale(b[i].d), b[i].scales, scale);
    for (int half = 0; half < 2; ++half) {
      const __m256i ql0 = load32(b[i].ql + 64 * half), ql1 = load32(b[i].ql + 64 * half + 32);
      const __m256i qh = load32(b[i].qh + 32 * half);
      const float* sc = scale + 8 * half;
      for (int k = 0; k < 4; ++k, x += 32) {
        const __m256i ql = k % 2 ? ql1 : ql0;
        const __m256i lo = _mm256_and_si256(k >= 2 ? _mm256_srli_epi16(ql, 4) : ql, low4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), three);
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(lo, _mm256_slli_epi16(hi, 4)), offset);
        const Halves h = dot32_halves(q, x);
        acc = _mm256_fmadd_ps(_mm256_broadcast_ss(sc + 2 * k), h.lo, acc);
        acc = _mm256_fmadd_ps(_mm256_broadcast_ss(sc + 2 * k + 1), h.hi, acc);
      }
    }
  }
  return hsum(acc);
}

}  // namespace

// The i-quants, 32 elements at a time in registers: four (or eight) grid entries gathered into 32 magnitude
// bytes, their signs applied with one byte-sign instruction, under the scales d0 (elements 0..15) and d1
// (16..31): the same int8 codes and scales as quant::decode_block's. The ternary types' digits are computed
// 32 at a time the same way.
struct Codes32 {
  __m256i q;
  float d0, d1;
};
// (inlined: a call per 32 elements, returning a vector through memory, cost a third of the time)
#define GW_AVX2_INLINE GW_AVX2 inline __attribute__((always_inline))
GW_AVX2_INLINE uint32_t u16_at(const uint8_t* p) {
  return static_cast<uint32_t>(p[0] | (p[1] << 8));
}
// -m where the sign bit of element i (bit i of signs) is set.
GW_AVX2_INLINE __m256i with_signs(__m256i magnitudes, uint32_t signs) {
  return _mm256_sign_epi8(magnitudes, _mm256_or_si256(bit_lanes(signs), _mm256_set1_epi8(1)));
}
// The sign bytes of four groups from their 7-bit indices (IQ2_XXS, IQ2_XS, IQ3_XXS).
GW_AVX2_INLINE uint32_t ksigns4(uint32_t i0, uint32_t i1, uint32_t i2, uint32_t i3) {
  return kKsignsIq2xs[i0] | (kKsignsIq2xs[i1] << 8) | (kKsignsIq2xs[i2] << 16) |
         (static_cast<uint32_t>(kKsignsIq2xs[i3]) << 24);
}
// Grid entries by index: four 64-bit entries (32 bytes) or eight 32-bit ones. (AVX2's gathers were slower
// here than these scalar loads.)
template <size_t N>
GW_AVX2_INLINE __m256i grid4(const std::array<uint64_t, N>& g, const uint32_t (&i)[4]) {
  return _mm256_set_epi64x(static_cast<long long>(g[i[3]]), static_cast<long long>(g[i[2]]),
                           static_cast<long long>(g[i[1]]), static_cast<long long>(g[i[0]]));
}
template <size_t N>
GW_AVX2_INLINE __m256i grid8(const std::array<uint32_t, N>& g, const uint32_t (&i)[8]) {
  return _mm256_set_epi32(static_cast<int>(g[i[7]]), static_cast<int>(g[i[6]]), static_cast<int>(g[i[5]]),
                          static_cast<int>(g[i[4]]), static_cast<int>(g[i[3]]), static_cast<int>(g[i[2]]),
                          static_cast<int>(g[i[1]]), static_cast<int>(g[i[0]]));
}

template <GgmlType T>
GW_AVX2_INLINE float block_scale(const uint8_t* p) {
  if constexpr (T == GgmlType::IQ1_M)  // the four top nibbles of the scales' u16s
    return fp16_to_f32(static_cast<uint16_t>((u16_at(p + 48) >> 12) | ((u16_at(p + 50) >> 8) & 0x00f0) |
                                             ((u16_at(p + 52) >> 4) & 0x0f00) | (u16_at(p + 54) & 0xf000)));
  else if constexpr (T == GgmlType::TQ1_0 || T == GgmlType::TQ2_0)  // (after the codes)
    return fp16_to_f32(static_cast<uint16_t>(u16_at(p + (T == GgmlType::TQ1_0 ? 52 : 64))));
  return fp16_to_f32(static_cast<uint16_t>(u16_at(p)));
}

// TQ1_0's base-3 digits (iquants.cpp, decode_tq1_0), 32 at a time: digit n of byte v is
// ⌊3 · (v · 3^n mod 256) / 256⌋, here in 16-bit lanes (AVX2 has no byte multiply), bytes 0..15 of v times
// the multipliers in `lo`, bytes 16..31 times those in `hi`; returned as the values -1, 0, 1.
GW_AVX2_INLINE __m256i ternary_digits16(__m128i bytes, __m256i pow3) {
  const __m256i shifted =
      _mm256_and_si256(_mm256_mullo_epi16(_mm256_cvtepu8_epi16(bytes), pow3), _mm256_set1_epi16(0xff));
  return _mm256_srli_epi16(_mm256_mullo_epi16(shifted, _mm256_set1_epi16(3)), 8);
}
GW_AVX2_INLINE __m256i ternary_digits(__m256i v, __m256i lo, __m256i hi) {
  // (packus interleaves the two 128-bit lanes; the permute puts elements 0..31 back in order)
  const __m256i packed = _mm256_packus_epi16(ternary_digits16(_mm256_castsi256_si128(v), lo),
                                             ternary_digits16(_mm256_extracti128_si256(v, 1), hi));
  return _mm256_sub_epi8(_mm256_permute4x64_epi64(packed, 0xD8), _mm256_set1_epi8(1));
}

// IQ1's grid as the bytes 8g (a reference taken once: its function is not inlined).
const std::array<uint64_t, 2048>& kIq1Codes = iq1_code_table();

template <GgmlType T>
GW_AVX2_INLINE Codes32 codes32(const uint8_t* p, int ib, float d) {
  if constexpr (T == GgmlType::TQ1_0) {
    // Elements 0..159: digit ib of qs[0..31]; 160..239: digits 0..4 of qs[32..47], 16 elements each;
    // 240..255: digit n of qh[j] at 240 + 4n + j.
    const __m128i tail = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32));
    if (ib < 5) {
      static constexpr int16_t kPow3[5] = {1, 3, 9, 27, 81};
      const __m256i pow3 = _mm256_set1_epi16(kPow3[ib]);
      return {ternary_digits(load32(p), pow3, pow3), d, d};
    }
    if (ib < 7) {
      const int16_t n = ib == 5 ? 1 : 9;  // digits 0 and 1, or 2 and 3
      return {ternary_digits(_mm256_set_m128i(tail, tail), _mm256_set1_epi16(n), _mm256_set1_epi16(3 * n)), d,
              d};
    }
    const __m128i qh = _mm_set1_epi32(static_cast<int>(load_u32(p + 48)));
    return {ternary_digits(_mm256_set_m128i(qh, tail), _mm256_set1_epi16(81),
                           _mm256_set_epi16(27, 27, 27, 27, 9, 9, 9, 9, 3, 3, 3, 3, 1, 1, 1, 1)),
            d, d};
  } else if constexpr (T == GgmlType::TQ2_0) {
    // 2-bit codes c (value c - 1): bytes 32h .. 32h + 31, bits 2l, give elements 128h + 32l + m.
    const __m256i codes = _mm256_srl_epi16(load32(p + 32 * (ib / 4)), _mm_cvtsi32_si128(2 * (ib % 4)));
    return {_mm256_sub_epi8(_mm256_and_si256(codes, _mm256_set1_epi8(3)), _mm256_set1_epi8(1)), d, d};
  } else if constexpr (T == GgmlType::IQ2_XXS) {
    const uint8_t* q8 = p + 2 + 8 * ib;
    const uint32_t aux = load_u32(q8 + 4);
    const uint32_t idx[4] = {q8[0], q8[1], q8[2], q8[3]};
    const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.25f;
    return {with_signs(grid4(kIq2xxsGrid, idx),
                       ksigns4(aux & 127, (aux >> 7) & 127, (aux >> 14) & 127, (aux >> 21) & 127)),
            db, db};
  } else if constexpr (T == GgmlType::IQ2_XS) {
    uint32_t v[4];
#pragma GCC unroll 8
    for (int l = 0; l < 4; ++l) v[l] = u16_at(p + 2 + 2 * (4 * ib + l));
    const uint32_t idx[4] = {v[0] & 511, v[1] & 511, v[2] & 511, v[3] & 511};
    const uint8_t sc = p[66 + ib];
    return {with_signs(grid4(kIq2xsGrid, idx), ksigns4(v[0] >> 9, v[1] >> 9, v[2] >> 9, v[3] >> 9)),
            d * (0.5f + static_cast<float>(sc & 0xf)) * 0.25f,
            d * (0.5f + static_cast<float>(sc >> 4)) * 0.25f};
  } else if constexpr (T == GgmlType::IQ2_S) {
    const uint8_t* qs = p + 2 + 4 * ib;
    const uint32_t qh = p[66 + ib];
    const uint32_t idx[4] = {qs[0] | ((qh << 8) & 0x300), qs[1] | ((qh << 6) & 0x300),
                             qs[2] | ((qh << 4) & 0x300), qs[3] | ((qh << 2) & 0x300)};
    const uint8_t sc = p[74 + ib];
    return {with_signs(grid4(kIq2sGrid, idx), load_u32(p + 34 + 4 * ib)),
            d * (0.5f + static_cast<float>(sc & 0xf)) * 0.25f,
            d * (0.5f + static_cast<float>(sc >> 4)) * 0.25f};
  } else if constexpr (T == GgmlType::IQ3_XXS) {
    const uint8_t* qs = p + 2 + 8 * ib;
    const uint32_t aux = load_u32(p + 66 + 4 * ib);
    const uint32_t idx[8] = {qs[0], qs[1], qs[2], qs[3], qs[4], qs[5], qs[6], qs[7]};
    const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.5f;
    return {with_signs(grid8(kIq3xxsGrid, idx),
                       ksigns4(aux & 127, (aux >> 7) & 127, (aux >> 14) & 127, (aux >> 21) & 127)),
            db, db};
  } else if constexpr (T == GgmlType::IQ3_S) {
    const uint8_t* qs = p + 2 + 8 * ib;
    const uint32_t qh = p[66 + ib];
    uint32_t idx[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) idx[k] = qs[k] | ((qh << (8 - k)) & 256);
    const float db = d * static_cast<float>(1 + 2 * ((p[106 + ib / 2] >> (4 * (ib % 2))) & 0xf));
    return {with_signs(grid8(kIq3sGrid, idx), load_u32(p + 74 + 4 * ib)), db, db};
  } else if constexpr (T == GgmlType::IQ1_S) {
    const uint32_t qh = u16_at(p + 34 + 2 * ib);
    const uint8_t* qs = p + 2 + 4 * ib;
    uint32_t idx[4];
#pragma GCC unroll 8
    for (int l = 0; l < 4; ++l) idx[l] = qs[l] | (((qh >> (3 * l)) & 7) << 8);
    const float dl = d * static_cast<float>(2 * ((qh >> 12) & 7) + 1) * 0.125f;
    const __m256i delta = _mm256_set1_epi8(qh & 0x8000 ? -1 : 1);
    return {_mm256_add_epi8(grid4(kIq1Codes, idx), delta), dl, dl};
  } else {  // IQ1_M
    const uint8_t* qs = p + 4 * ib;
    const uint8_t* qh = p + 32 + 2 * ib;
    uint32_t idx[4], negative = 0;  // 8 bits per group whose delta is negative
#pragma GCC unroll 8
    for (int l = 0; l < 4; ++l) {
      const uint32_t nibble = (qh[l / 2] >> (4 * (l % 2))) & 0xf;
      idx[l] = qs[l] | ((nibble & 7) << 8);
      negative |= (0u - (nibble >> 3)) & (0xffu << (8 * l));  // (no branch: the signs are random)
    }
    const uint32_t s = u16_at(p + 48 + 2 * (ib / 2)) >> (6 * (ib % 2));
    // delta bytes -1 (0xff) or 1, built in registers (from memory they stalled the load that read them)
    const __m256i delta = _mm256_or_si256(bit_lanes(negative), _mm256_set1_epi8(1));
    return {_mm256_add_epi8(grid4(kIq1Codes, idx), delta), d * static_cast<float>(2 * (s & 7) + 1) * 0.125f,
            d * static_cast<float>(2 * ((s >> 3) & 7) + 1) * 0.125f};
  }
}

template <GgmlType T>
GW_AVX2 float dot_iquant(const void* row, const float* x, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(row);
  const uint32_t bytes = gguf::ggml_type_traits(T).block_bytes;
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / 256; ++i, p += bytes) {
    const float d = block_scale<T>(p);
    for (int ib = 0; ib < 8; ++ib, x += 32) {
      const Codes32 c = codes32<T>(p, ib, d);
      const Halves h = dot32_halves(c.q, x);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(c.d0), h.lo, acc);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(c.d1), h.hi, acc);
    }
  }
  return hsum(acc);
}

// d · q for every element, 32 at a time: the products decode_block's users compute, so the same floats.
template <GgmlType T>
GW_AVX2 void dequant_iquant(const void* src, float* y, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  const uint32_t bytes = gguf::ggml_type_traits(T).block_bytes;
  for (int64_t i = 0; i < n / 256; ++i, p += bytes) {
    const float d = block_scale<T>(p);
    for (int ib = 0; ib < 8; ++ib, y += 32) {
      const Codes32 c = codes32<T>(p, ib, d);
      const __m128i a = _mm256_castsi256_si128(c.q), b = _mm256_extracti128_si256(c.q, 1);
      const __m256 d0 = _mm256_set1_ps(c.d0), d1 = _mm256_set1_ps(c.d1);
      _mm256_storeu_ps(y, _mm256_mul_ps(d0, widen(a)));
      _mm256_storeu_ps(y + 8, _mm256_mul_ps(d0, widen(_mm_srli_si128(a, 8))));
      _mm256_storeu_ps(y + 16, _mm256_mul_ps(d1, widen(b)));
      _mm256_storeu_ps(y + 24, _mm256_mul_ps(d1, widen(_mm_srli_si128(b, 8))));
    }
  }
}

DotFn avx2(GgmlType type) {
  switch (type) {
    case GgmlType::F32:
      return dot_f32;
    case GgmlType::F16:
      return dot_half<false>;
    case GgmlType::BF16:
      return dot_half<true>;
    case GgmlType::Q8_0:
      return dot_q8_0;
    case GgmlType::Q4_0:
      return dot_q4_0;
    case GgmlType::Q4_1:
      return dot_q4_1;
    case GgmlType::Q5_0:
      return dot_q5_0;
    case GgmlType::Q5_1:
      return dot_q5_1;
    case GgmlType::Q2_K:
      return dot_q2_k;
    case GgmlType::Q3_K:
      return dot_q3_k;
    case GgmlType::Q4_K:
      return dot_q45_k<false>;
    case GgmlType::Q5_K:
      return dot_q45_k<true>;
    case GgmlType::Q6_K:
      return dot_q6_k;
    case GgmlType::MXFP4:
      return dot_mxfp4;
    case GgmlType::IQ4_NL:
      return dot_iq4_nl;
    case GgmlType::IQ4_XS:
      return dot_iq4_xs;
    default:  // the i-quants and the ternary types in registers
      return with_sub32_type(
          type, [](auto t) -> DotFn { return dot_iquant<t()>; }, DotFn{});
  }
}

DequantFn avx2_iquant_dequant(GgmlType type) {
  return with_sub32_type(
      type, [](auto t) -> DequantFn { return dequant_iquant<t()>; }, DequantFn{});
}

DotMinsFn avx2_mins(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_K:
      return dot_q45_k_sums<false>;
    case GgmlType::Q5_K:
      return dot_q45_k_sums<true>;
    default:
      return nullptr;
  }
}

bool cpu_has_avx2() {
  return cpu_has_avx2_fma_f16c();
}

}  // namespace glasswing::quant::kernels

#else  // not x86-64

namespace glasswing::quant::kernels {
DotFn avx2(GgmlType) {
  return nullptr;
}
DotMinsFn avx2_mins(GgmlType) {
  return nullptr;
}
DequantFn avx2_iquant_dequant(GgmlType) {
  return nullptr;
}
bool cpu_has_avx2() {
  return false;
}
}  // namespace glasswing::quant::kernels

#endif
