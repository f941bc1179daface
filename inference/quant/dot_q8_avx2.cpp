// AVX2 integer kernels for dot_row_q8: weight codes and 8-bit activation codes meet in
// _mm256_maddubs_epi16 (unsigned x signed bytes -> pairwise int16 sums), sub-block scales are applied
// with _mm256_madd_epi16, and only one float multiply-add per 32 elements remains. Signed weight codes
// use the sign trick: |w| * (x with w's sign) = w * x.
#include "inference/quant/dot_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <cstring>
#include <type_traits>

#include "inference/quant/avx2_util.h"
#include "inference/quant/blocks.h"
#include "inference/quant/fp16.h"

namespace glasswing::quant::kernels {

namespace {

using namespace blocks;

// Pairwise int16 sums of q * x for signed q (|q| <= 128) and x in [-127, 127].
GW_AVX2 inline __m256i mul_signed(__m256i q, __m256i x) {
  return _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(x, q));
}

// Sum of int16 pairs into 8 int32 lanes, as floats.
GW_AVX2 inline __m256 sum_pairs(__m256i p16) {
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

// As sum_pairs, weighting elements 0..15 by a and 16..31 by b.
GW_AVX2 inline __m256 sum_pairs_scaled(__m256i p16, int a, int b) {
  const __m256i s =
      _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(b)), _mm_set1_epi16(static_cast<int16_t>(a)));
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, s));
}

GW_AVX2 inline __m256i act(const QuantizedActivation& xq, int64_t block) {
  return load32(xq.qs.data() + 32 * block);
}

inline int act_sum32(const QuantizedActivation& xq, int64_t block) {
  return xq.sums[2 * block] + xq.sums[2 * block + 1];
}

GW_AVX2 float q8_q8_0(const void* row, const QuantizedActivation& xq) {
  const auto* b = static_cast<const Q8_0*>(row);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < xq.n / kQK; ++i) {
    const __m256 p = sum_pairs(mul_signed(load32(b[i].qs), act(xq, i)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d) * xq.d[i]), p, acc);
  }
  return hsum(acc);
}

GW_AVX2 float q8_q4_0(const void* row, const QuantizedActivation& xq) {
  const auto* b = static_cast<const Q4_0*>(row);
  const __m256i eight = _mm256_set1_epi8(8);
  const int8_t* qs = xq.qs.data();
  const float* dx = xq.d.data();
  const int64_t nb = xq.n / kQK;
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m256 p0 = sum_pairs(mul_signed(_mm256_sub_epi8(nibbles(b[i].qs), eight), load32(qs + 32 * i)));
    const __m256 p1 =
        sum_pairs(mul_signed(_mm256_sub_epi8(nibbles(b[i + 1].qs), eight), load32(qs + 32 * i + 32)));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d) * dx[i]), p0, acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i + 1].d) * dx[i + 1]), p1, acc1);
  }
  for (; i < nb; ++i) {
    const __m256 p = sum_pairs(mul_signed(_mm256_sub_epi8(nibbles(b[i].qs), eight), load32(qs + 32 * i)));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d) * dx[i]), p, acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

GW_AVX2 float q8_q4_1(const void* row, const QuantizedActivation& xq) {
  const auto* b = static_cast<const Q4_1*>(row);
  __m256 acc = _mm256_setzero_ps();
  float acc_m = 0;
  for (int64_t i = 0; i < xq.n / kQK; ++i) {
    const __m256 p = sum_pairs(_mm256_maddubs_epi16(nibbles(b[i].qs), act(xq, i)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d) * xq.d[i]), p, acc);
    acc_m += f16_scale(b[i].m) * xq.d[i] * static_cast<float>(act_sum32(xq, i));
  }
  return hsum(acc) + acc_m;
}

GW_AVX2 float q8_q5_0(const void* row, const QuantizedActivation& xq) {
  const auto* b = static_cast<const Q5_0*>(row);
  const __m256i sixteen = _mm256_set1_epi8(16);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < xq.n / kQK; ++i) {
    const __m256i q = _mm256_sub_epi8(q5_codes(b[i].qh, b[i].qs), sixteen);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d) * xq.d[i]), sum_pairs(mul_signed(q, act(xq, i))),
                          acc);
  }
  return hsum(acc);
}

GW_AVX2 float q8_q5_1(const void* row, const QuantizedActivation& xq) {
  const auto* b = static_cast<const Q5_1*>(row);
  __m256 acc = _mm256_setzero_ps();
  float acc_m = 0;
  for (int64_t i = 0; i < xq.n / kQK; ++i) {
    const __m256 p = sum_pairs(_mm256_maddubs_epi16(q5_codes(b[i].qh, b[i].qs), act(xq, i)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_scale(b[i].d) * xq.d[i]), p, acc);
    acc_m += f16_scale(b[i].m) * xq.d[i] * static_cast<float>(act_sum32(xq, i));
  }
  return hsum(acc) + acc_m;
}

GW_AVX2 float q8_q2_k(const void* row, const QuantizedActivation& xq) {
  const auto* b = static_cast<const Q2_K*>(row);
  const __m256i three = _mm256_set1_epi8(3);
  __m256 acc = _mm256_setzero_ps();
  float acc_m = 0;
  int64_t blk = 0;
  for (int64_t i = 0; i < xq.n / kQKK; ++i) {
    const float d = f16_scale(b[i].d), dmin = f16_scale(b[i].dmin);
    const uint8_t* sc = b[i].scales;
    for (int half = 0; half < 2; ++half) {
      const __m256i bytes = load32(b[i].qs + 32 * half);
      for (int k = 0; k < 4; ++k, ++blk, sc += 2) {
        const __m256i q = _mm256_and_si256(_mm256_srli_epi16(bytes, 2 * k), three);
        const __m256 p = sum_pairs_scaled(_mm256_maddubs_epi16(q, act(xq, blk)), sc[0] & 0xF, sc[1] & 0xF);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d * xq.d[blk]), p, acc);
        const int mins = (sc[0] >> 4) * xq.sums[2 * blk] + (sc[1] >> 4) * xq.sums[2 * blk + 1];
        acc_m += dmin * xq.d[blk] * static_cast<float>(mins);
      }
    }
  }
  return hsum(acc) - acc_m;
}

GW_AVX2 float q8_q3_k(const void* row, const QuantizedActivation& xq) {
  const auto* b = static_cast<const Q3_K*>(row);
  const __m256i three = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
  __m256 acc = _mm256_setzero_ps();
  int64_t blk = 0;
  for (int64_t i = 0; i < xq.n / kQKK; ++i) {
    const float d = f16_scale(b[i].d);
    int8_t scales[16];
    q3k_scales(b[i].scales, scales);
    const __m256i hmask = load32(b[i].hmask);
    const int8_t* sc = scales;
    for (int half = 0; half < 2; ++half) {
      const __m256i bytes = load32(b[i].qs + 32 * half);
      for (int k = 0; k < 4; ++k, ++blk, sc += 2) {
        const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << (4 * half + k)));
        const __m256i high = _mm256_cmpeq_epi8(_mm256_and_si256(hmask, bit), bit);
        const __m256i low = _mm256_and_si256(_mm256_srli_epi16(bytes, 2 * k), three);
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(low, _mm256_and_si256(high, four)), four);
        const __m256 p = sum_pairs_scaled(mul_signed(q, act(xq, blk)), sc[0], sc[1]);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d * xq.d[blk]), p, acc);
      }
    }
  }
  return hsum(acc);
}

template <bool kFifthBit>
GW_AVX2 float q8_q45_k(const void* row, const QuantizedActivation& xq) {
  using Block = std::conditional_t<kFifthBit, Q5_K, Q4_K>;
  const auto* b = static_cast<const Block*>(row);
  __m256 acc = _mm256_setzero_ps();
  float acc_m = 0;
  int64_t blk = 0;
  for (int64_t i = 0; i < xq.n / kQKK; ++i) {
    const float d = f16_scale(b[i].d), dmin = f16_scale(b[i].dmin);
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kFifthBit) qh = load32(b[i].qh);
    for (int g = 0; g < 8; g += 2, blk += 2) {
      const __m256i bytes = load32(b[i].qs + 16 * g);
      const auto [q0, q1] = q45_k_codes<kFifthBit>(bytes, qh, g);
      uint8_t s0, m0, s1, m1;
      scale_min_k4(g, b[i].scales, s0, m0);
      scale_min_k4(g + 1, b[i].scales, s1, m1);
      const __m256 p0 = sum_pairs(_mm256_maddubs_epi16(q0, act(xq, blk)));
      const __m256 p1 = sum_pairs(_mm256_maddubs_epi16(q1, act(xq, blk + 1)));
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d * s0 * xq.d[blk]), p0, acc);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d * s1 * xq.d[blk + 1]), p1, acc);
      acc_m += dmin * (m0 * xq.d[blk] * static_cast<float>(act_sum32(xq, blk)) +
                       m1 * xq.d[blk + 1] * static_cast<float>(act_sum32(xq, blk + 1)));
    }
  }
  return hsum(acc) - acc_m;
}

GW_AVX2 float q8_q6_k(const void* row, const QuantizedActivation& xq) {
  const auto* b = static_cast<const Q6_K*>(row);
  const __m256i low4 = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3), offset = _mm256_set1_epi8(32);
  __m256 acc = _mm256_setzero_ps();
  int64_t blk = 0;
  for (int64_t i = 0; i < xq.n / kQKK; ++i) {
    const float d = f16_scale(b[i].d);
    for (int half = 0; half < 2; ++half) {
      const __m256i ql0 = load32(b[i].ql + 64 * half), ql1 = load32(b[i].ql + 64 * half + 32);
      const __m256i qh = load32(b[i].qh + 32 * half);
      const int8_t* sc = b[i].scales + 8 * half;
      for (int k = 0; k < 4; ++k, ++blk) {
        const __m256i ql = k % 2 ? ql1 : ql0;
        const __m256i lo = _mm256_and_si256(k >= 2 ? _mm256_srli_epi16(ql, 4) : ql, low4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), three);
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(lo, _mm256_slli_epi16(hi, 4)), offset);
        const __m256 p = sum_pairs_scaled(mul_signed(q, act(xq, blk)), sc[2 * k], sc[2 * k + 1]);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d * xq.d[blk]), p, acc);
      }
    }
  }
  return hsum(acc);
}

}  // namespace

DotQ8Fn avx2_q8(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0:
      return q8_q8_0;
    case GgmlType::Q4_0:
      return q8_q4_0;
    case GgmlType::Q4_1:
      return q8_q4_1;
    case GgmlType::Q5_0:
      return q8_q5_0;
    case GgmlType::Q5_1:
      return q8_q5_1;
    case GgmlType::Q2_K:
      return q8_q2_k;
    case GgmlType::Q3_K:
      return q8_q3_k;
    case GgmlType::Q4_K:
      return q8_q45_k<false>;
    case GgmlType::Q5_K:
      return q8_q45_k<true>;
    case GgmlType::Q6_K:
      return q8_q6_k;
    default:
      return nullptr;
  }
}

}  // namespace glasswing::quant::kernels

#else  // not x86-64

namespace glasswing::quant::kernels {
DotQ8Fn avx2_q8(GgmlType) {
  return nullptr;
}
}  // namespace glasswing::quant::kernels

#endif
