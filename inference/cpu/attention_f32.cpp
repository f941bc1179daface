#include "inference/cpu/attention_f32.h"

#include <algorithm>
#include <cmath>

#include "inference/cpu/dot_f32.h"
#include "inference/cpu/simd_x86.h"

namespace glasswing::cpu {

namespace {

void scores_portable(float* att, const float* q, const float* k, int64_t stride, int64_t n_keys, int64_t hd,
                     float scale) {
  for (int64_t j = 0; j < n_keys; ++j) att[j] = dot(q, k + j * stride, hd) * scale;
}

SoftmaxStats softmax_portable(float* x, int64_t n) {
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
  return {max, sum};
}

void values_portable(float* out, const float* p, const float* v, int64_t stride, int64_t n_keys, int64_t hd) {
  std::fill(out, out + hd, 0.0f);
  for (int64_t j = 0; j < n_keys; ++j) axpy(out, p[j], v + j * stride, hd);
}

#ifdef GW_HAVE_X86

// Head widths the AVX2 kernels keep in registers: a multiple of 8 up to 256 (q or the output: hd / 8
// vectors).
constexpr int64_t kMaxHd = 256;
bool avx2_fits(int64_t hd) {
  return has_avx2_fma() && hd % 8 == 0 && hd <= kMaxHd;
}

// The 8 horizontal sums of a[0..7] as one vector (lane l = sum of a[l]).
GW_AVX2 inline __m256 hsum8(const __m256 a[8]) {
  const __m256 s01 = _mm256_hadd_ps(a[0], a[1]), s23 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 s45 = _mm256_hadd_ps(a[4], a[5]), s67 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 s0123 = _mm256_hadd_ps(s01, s23), s4567 = _mm256_hadd_ps(s45, s67);
  // lanes: [0 1 2 3 | 0 1 2 3] halves of keys 0-3 in s0123, of keys 4-7 in s4567
  const __m256 lo = _mm256_permute2f128_ps(s0123, s4567, 0x20),
               hi = _mm256_permute2f128_ps(s0123, s4567, 0x31);
  return _mm256_add_ps(lo, hi);
}

GW_AVX2 void scores_avx2(float* att, const float* q, const float* k, int64_t stride, int64_t n_keys,
                         int64_t hd, float scale) {
  const int64_t nv = hd / 8;
  __m256 qv[kMaxHd / 8];
  for (int64_t i = 0; i < nv; ++i) qv[i] = _mm256_loadu_ps(q + 8 * i);
  const __m256 vscale = _mm256_set1_ps(scale);
  int64_t j = 0;
  for (; j + 8 <= n_keys; j += 8) {  // eight keys, one reduction for all eight
    __m256 s[8];
    for (int l = 0; l < 8; ++l) {
      const float* kj = k + (j + l) * stride;
      __m256 a = _mm256_mul_ps(qv[0], _mm256_loadu_ps(kj));
      for (int64_t i = 1; i < nv; ++i) a = _mm256_fmadd_ps(qv[i], _mm256_loadu_ps(kj + 8 * i), a);
      s[l] = a;
    }
    _mm256_storeu_ps(att + j, _mm256_mul_ps(hsum8(s), vscale));
  }
  for (; j < n_keys; ++j) {
    const float* kj = k + j * stride;
    __m256 a = _mm256_mul_ps(qv[0], _mm256_loadu_ps(kj));
    for (int64_t i = 1; i < nv; ++i) a = _mm256_fmadd_ps(qv[i], _mm256_loadu_ps(kj + 8 * i), a);
    att[j] = hsum(a) * scale;
  }
}

// exp(x) for x <= 0 (inputs past -87.3 give ~0): x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two parts),
// exp(r) by Cephes' degree-7 polynomial, 2^n through the exponent bits. Relative error below 2e-7.
GW_AVX2 inline __m256 exp_nonpositive(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

GW_AVX2 SoftmaxStats softmax_avx2(float* x, int64_t n) {
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  float max = -INFINITY;
  {
    alignas(32) float m[8];
    _mm256_store_ps(m, vmax);
    for (float v : m) max = std::max(max, v);
  }
  for (; i < n; ++i) max = std::max(max, x[i]);
  vmax = _mm256_set1_ps(max);
  // the exps, summed in f32 lanes (their number is bounded by the context; each lane's sum in double)
  __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
    _mm256_storeu_ps(x + i, e);
    sum_lo = _mm256_add_pd(sum_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    sum_hi = _mm256_add_pd(sum_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  alignas(32) double s[4];
  _mm256_store_pd(s, _mm256_add_pd(sum_lo, sum_hi));
  double sum = (s[0] + s[1]) + (s[2] + s[3]);
  if (i < n) {  // the tail through the same exp, padded with -inf (exp 0)
    alignas(32) float tail[8];
    for (int l = 0; l < 8; ++l) tail[l] = i + l < n ? x[i + l] - max : -INFINITY;
    _mm256_store_ps(tail, exp_nonpositive(_mm256_load_ps(tail)));
    for (int64_t l = 0; i + l < n; ++l) {
      x[i + l] = tail[l];
      sum += tail[l];
    }
  }
  const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  for (; i < n; ++i) x[i] *= _mm256_cvtss_f32(inv);
  return {max, sum};
}

GW_AVX2 void values_avx2(float* out, const float* p, const float* v, int64_t stride, int64_t n_keys,
                         int64_t hd) {
  const int64_t nv = hd / 8;
  __m256 acc[kMaxHd / 8];
  for (int64_t i = 0; i < nv; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t j = 0; j < n_keys; ++j) {
    const __m256 pj = _mm256_set1_ps(p[j]);
    const float* vj = v + j * stride;
    for (int64_t i = 0; i < nv; ++i) acc[i] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8 * i), acc[i]);
  }
  for (int64_t i = 0; i < nv; ++i) _mm256_storeu_ps(out + 8 * i, acc[i]);
}

// q . k over nv vectors of 8 as one vector of lane sums: the multiply then multiply-adds of scores_avx2.
GW_AVX2 inline __m256 qk_lanes(const float* q, const float* k, int64_t nv) {
  __m256 a = _mm256_mul_ps(_mm256_loadu_ps(q), _mm256_loadu_ps(k));
  for (int64_t i = 1; i < nv; ++i)
    a = _mm256_fmadd_ps(_mm256_loadu_ps(q + 8 * i), _mm256_loadu_ps(k + 8 * i), a);
  return a;
}

// scores_avx2 for g queries at once, key block outside, query inside: the eight key rows of a block are read
// from memory once and from L1 for the other queries. Per query the same operations in the same order.
GW_AVX2 void scores_group_avx2(float* att, int64_t att_stride, const float* q, int64_t q_stride, int64_t g,
                               const float* k, int64_t stride, int64_t n_keys, int64_t hd, float scale) {
  const int64_t nv = hd / 8;
  const __m256 vscale = _mm256_set1_ps(scale);
  int64_t j = 0;
  for (; j + 8 <= n_keys; j += 8) {
    for (int64_t qi = 0; qi < g; ++qi) {
      __m256 s[8];
      for (int l = 0; l < 8; ++l) s[l] = qk_lanes(q + qi * q_stride, k + (j + l) * stride, nv);
      _mm256_storeu_ps(att + qi * att_stride + j, _mm256_mul_ps(hsum8(s), vscale));
    }
  }
  for (; j < n_keys; ++j)
    for (int64_t qi = 0; qi < g; ++qi)
      att[qi * att_stride + j] = hsum(qk_lanes(q + qi * q_stride, k + j * stride, nv)) * scale;
}

// values_avx2 for g queries at once: blocks of 64 keys, each query's sums reloaded per block, so a block's
// value rows (64 x hd floats) come from memory once and from L1 for the other queries. Per query the same
// multiply-adds in the same key order.
GW_AVX2 void values_group_avx2(float* out, int64_t out_stride, const float* p, int64_t p_stride, int64_t g,
                               const float* v, int64_t stride, int64_t n_keys, int64_t hd) {
  constexpr int64_t kBlock = 64;
  const int64_t nv = hd / 8;
  for (int64_t qi = 0; qi < g; ++qi) std::fill(out + qi * out_stride, out + qi * out_stride + hd, 0.0f);
  for (int64_t j0 = 0; j0 < n_keys; j0 += kBlock) {
    const int64_t j1 = std::min(n_keys, j0 + kBlock);
    for (int64_t qi = 0; qi < g; ++qi) {
      float* o = out + qi * out_stride;
      const float* pq = p + qi * p_stride;
      __m256 acc[kMaxHd / 8];
      for (int64_t i = 0; i < nv; ++i) acc[i] = _mm256_loadu_ps(o + 8 * i);
      for (int64_t j = j0; j < j1; ++j) {
        const __m256 pj = _mm256_set1_ps(pq[j]);
        const float* vj = v + j * stride;
        for (int64_t i = 0; i < nv; ++i) acc[i] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8 * i), acc[i]);
      }
      for (int64_t i = 0; i < nv; ++i) _mm256_storeu_ps(o + 8 * i, acc[i]);
    }
  }
}
#endif

}  // namespace

void attention_scores(float* att, const float* q, const float* k, int64_t stride, int64_t n_keys, int64_t hd,
                      float scale) {
#ifdef GW_HAVE_X86
  if (avx2_fits(hd)) return scores_avx2(att, q, k, stride, n_keys, hd, scale);
#endif
  scores_portable(att, q, k, stride, n_keys, hd, scale);
}

SoftmaxStats softmax_f32(float* x, int64_t n) {
#ifdef GW_HAVE_X86
  if (has_avx2_fma()) return softmax_avx2(x, n);
#endif
  return softmax_portable(x, n);
}

double sink_factor(SoftmaxStats row, float sink) {
  if (sink == -INFINITY) return 1.0;
  const double m = std::max<double>(row.max, sink);
  const double s = row.sum * std::exp(static_cast<double>(row.max) - m);
  return s / (s + std::exp(static_cast<double>(sink) - m));
}

void fold_sink(float* p, int64_t n, SoftmaxStats row, float sink) {
  if (sink == -INFINITY) return;
  const auto f = static_cast<float>(sink_factor(row, sink));
  for (int64_t i = 0; i < n; ++i) p[i] *= f;
}

void attention_values(float* out, const float* p, const float* v, int64_t stride, int64_t n_keys,
                      int64_t hd) {
#ifdef GW_HAVE_X86
  if (avx2_fits(hd)) return values_avx2(out, p, v, stride, n_keys, hd);
#endif
  values_portable(out, p, v, stride, n_keys, hd);
}

void attention_scores_group(float* att, int64_t att_stride, const float* q, int64_t q_stride, int64_t g,
                            const float* k, int64_t stride, int64_t n_keys, int64_t hd, float scale) {
#ifdef GW_HAVE_X86
  if (avx2_fits(hd)) return scores_group_avx2(att, att_stride, q, q_stride, g, k, stride, n_keys, hd, scale);
#endif
  for (int64_t qi = 0; qi < g; ++qi)
    scores_portable(att + qi * att_stride, q + qi * q_stride, k, stride, n_keys, hd, scale);
}

void attention_values_group(float* out, int64_t out_stride, const float* p, int64_t p_stride, int64_t g,
                            const float* v, int64_t stride, int64_t n_keys, int64_t hd) {
#ifdef GW_HAVE_X86
  if (avx2_fits(hd)) return values_group_avx2(out, out_stride, p, p_stride, g, v, stride, n_keys, hd);
#endif
  for (int64_t qi = 0; qi < g; ++qi)
    values_portable(out + qi * out_stride, p + qi * p_stride, v, stride, n_keys, hd);
}

}  // namespace glasswing::cpu
