// AVX2 decoders of the types prefill decodes most (q8_0, q4_0, q4_K, q5_K, q6_K): the same operations on
// the same values as the reference decoders in dequantize.cpp, eight elements at a time, so the floats are
// identical (tested bit for bit). For these types every product is exact in f32 (an f16 scale times a
// sub-scale of at most 8 bits times a code of at most 6 bits fits in 24 bits), so only the subtraction of
// the min rounds; the file is compiled with -ffp-contract=off all the same, so that no multiply-add is ever
// fused into one differently rounded FMA.
#include "inference/quant/dot_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include <type_traits>

#include "inference/quant/avx2_util.h"
#include "inference/quant/blocks.h"

namespace glasswing::quant::kernels {

namespace {

using namespace blocks;

// Eight unsigned bytes as floats / as 32-bit lanes.
GW_AVX2 inline __m256i load8(const uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
GW_AVX2 inline __m256 u8x8(const uint8_t* p) {
  return _mm256_cvtepi32_ps(load8(p));
}

// y[0..31] = 32 signed int8 codes (element order) times d.
GW_AVX2 inline void store_codes(float* y, __m256i codes, __m256 d) {
  const __m128i lo = _mm256_castsi256_si128(codes), hi = _mm256_extracti128_si256(codes, 1);
  _mm256_storeu_ps(y, _mm256_mul_ps(widen(lo), d));
  _mm256_storeu_ps(y + 8, _mm256_mul_ps(widen(_mm_srli_si128(lo, 8)), d));
  _mm256_storeu_ps(y + 16, _mm256_mul_ps(widen(hi), d));
  _mm256_storeu_ps(y + 24, _mm256_mul_ps(widen(_mm_srli_si128(hi, 8)), d));
}

GW_AVX2 void dequant_q8_0(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q8_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK)
    store_codes(y, load32(x[i].qs), _mm256_set1_ps(f16_scale(x[i].d)));
}

// (nibble - 8) * d: element j < 16 the low nibble of byte j, 16 + j the high one (avx2_util's nibbles()).
GW_AVX2 void dequant_q4_0(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q4_0*>(src);
  const __m256i eight = _mm256_set1_epi8(8);
  for (int64_t i = 0; i < n / kQK; ++i, y += kQK)
    store_codes(y, _mm256_sub_epi8(nibbles(x[i].qs), eight), _mm256_set1_ps(f16_scale(x[i].d)));
}

// 32 values v (low or high nibbles of q[0..31], plus 16 where bit u of qh[l] is set when qh is given) as
// d1 * v - m1.
template <bool kHigh>
GW_AVX2 void k_group(const uint8_t* q, const uint8_t* qh, uint8_t u, float d1, float m1, float* y) {
  const __m256 d = _mm256_set1_ps(d1), m = _mm256_set1_ps(m1);
  const __m256i mask = _mm256_set1_epi8(0x0F);
  const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
  __m256i v = _mm256_and_si256(kHigh ? _mm256_srli_epi16(bytes, 4) : bytes, mask);
  if (qh) {
    const __m256i bit = _mm256_set1_epi8(static_cast<char>(u));
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh));
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(h, bit), bit);
    v = _mm256_or_si256(v, _mm256_and_si256(set, _mm256_set1_epi8(16)));
  }
  alignas(32) uint8_t b[32];
  _mm256_store_si256(reinterpret_cast<__m256i*>(b), v);
  for (int k = 0; k < 32; k += 8) _mm256_storeu_ps(y + k, _mm256_sub_ps(_mm256_mul_ps(d, u8x8(b + k)), m));
}

// Q4_K, and Q5_K with its fifth bits: group g's bit is bit g of qh[l].
template <typename Block>
GW_AVX2 void dequant_k4(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Block*>(src);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = f16_scale(x[i].d);
    const float dmin = f16_scale(x[i].dmin);
    const uint8_t* q = x[i].qs;
    const uint8_t* qh = nullptr;
    if constexpr (std::is_same_v<Block, Q5_K>) qh = x[i].qh;
    uint8_t sm[16];  // eight scales, then eight mins
    scales_mins_k4(x[i].scales, sm);
    for (int g = 0; g < 8; g += 2, q += 32, y += 64) {
      const float d1 = d * sm[g], m1 = dmin * sm[8 + g];
      const float d2 = d * sm[g + 1], m2 = dmin * sm[9 + g];
      k_group<false>(q, qh, static_cast<uint8_t>(1u << g), d1, m1, y);
      k_group<true>(q, qh, static_cast<uint8_t>(2u << g), d2, m2, y + 32);
    }
  }
}

// Q6_K: per 128 elements, element 32k + l takes a nibble of ql[l] (k even) or ql[l + 32] (k odd; the high
// nibble for k >= 2) and bits 2k..2k+1 of qh[l]; minus 32; times (d * scale) of its 16.
GW_AVX2 void dequant_q6_k(const void* src, float* y, int64_t n) {
  const auto* x = static_cast<const Q6_K*>(src);
  const __m256i mask4 = _mm256_set1_epi32(0x0F), mask2 = _mm256_set1_epi32(3), c32 = _mm256_set1_epi32(32);
  for (int64_t i = 0; i < n / kQKK; ++i) {
    const float d = f16_scale(x[i].d);
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* sc = x[i].scales;
    for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; l += 8) {
        const int is = l / 16;
        const __m256i a = load8(ql + l), b = load8(ql + l + 32), h = load8(qh + l);
        const __m256i q[4] = {
            _mm256_or_si256(_mm256_and_si256(a, mask4), _mm256_slli_epi32(_mm256_and_si256(h, mask2), 4)),
            _mm256_or_si256(_mm256_and_si256(b, mask4),
                            _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 2), mask2), 4)),
            _mm256_or_si256(_mm256_srli_epi32(a, 4),
                            _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 4), mask2), 4)),
            _mm256_or_si256(_mm256_srli_epi32(b, 4),
                            _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 6), mask2), 4))};
        for (int k = 0; k < 4; ++k) {
          const __m256 f = _mm256_set1_ps(d * sc[is + 2 * k]);
          _mm256_storeu_ps(y + 32 * k + l, _mm256_mul_ps(f, _mm256_cvtepi32_ps(_mm256_sub_epi32(q[k], c32))));
        }
      }
    }
  }
}

}  // namespace

DequantFn avx2_dequant(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0:
      return dequant_q8_0;
    case GgmlType::Q4_0:
      return dequant_q4_0;
    case GgmlType::Q4_K:
      return dequant_k4<Q4_K>;
    case GgmlType::Q5_K:
      return dequant_k4<Q5_K>;
    case GgmlType::Q6_K:
      return dequant_q6_k;
    default:
      return avx2_iquant_dequant(type);
  }
}

}  // namespace glasswing::quant::kernels

#else

namespace glasswing::quant::kernels {
DequantFn avx2_dequant(GgmlType) {
  return nullptr;
}
}  // namespace glasswing::quant::kernels

#endif
