#include "inference/cpu/dot_f32.h"

#include "inference/cpu/simd_x86.h"

namespace glasswing::cpu {

namespace {

float dot_portable(const float* a, const float* b, int64_t n) {
  // Eight independent sums let the compiler vectorise without reassociating one long chain.
  float s[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

#ifdef GW_HAVE_X86
GW_AVX2 float dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  float total = hsum(_mm256_add_ps(s0, s1));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

GW_AVX2 void dot4_avx2(const float* const rows[4], const float* x, int64_t n, float out[4]) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(),
         s3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(rows[0] + i), v, s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(rows[1] + i), v, s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(rows[2] + i), v, s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(rows[3] + i), v, s3);
  }
  out[0] = hsum(s0);
  out[1] = hsum(s1);
  out[2] = hsum(s2);
  out[3] = hsum(s3);
  for (; i < n; ++i)
    for (int k = 0; k < 4; ++k) out[k] += rows[k][i] * x[i];
}

GW_AVX2 void dot4x2_avx2(const float* const rows[4], const float* x0, const float* x1, int64_t n,
                         float out0[4], float out1[4]) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 u = _mm256_loadu_ps(x0 + i), v = _mm256_loadu_ps(x1 + i);
    const __m256 r0 = _mm256_loadu_ps(rows[0] + i), r1 = _mm256_loadu_ps(rows[1] + i);
    const __m256 r2 = _mm256_loadu_ps(rows[2] + i), r3 = _mm256_loadu_ps(rows[3] + i);
    a0 = _mm256_fmadd_ps(r0, u, a0);
    a1 = _mm256_fmadd_ps(r1, u, a1);
    a2 = _mm256_fmadd_ps(r2, u, a2);
    a3 = _mm256_fmadd_ps(r3, u, a3);
    b0 = _mm256_fmadd_ps(r0, v, b0);
    b1 = _mm256_fmadd_ps(r1, v, b1);
    b2 = _mm256_fmadd_ps(r2, v, b2);
    b3 = _mm256_fmadd_ps(r3, v, b3);
  }
  out0[0] = hsum(a0);
  out0[1] = hsum(a1);
  out0[2] = hsum(a2);
  out0[3] = hsum(a3);
  out1[0] = hsum(b0);
  out1[1] = hsum(b1);
  out1[2] = hsum(b2);
  out1[3] = hsum(b3);
  for (; i < n; ++i)
    for (int k = 0; k < 4; ++k) {
      out0[k] += rows[k][i] * x0[i];
      out1[k] += rows[k][i] * x1[i];
    }
}

GW_AVX2 void axpy_avx2(float* y, float a, const float* x, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

#endif

}  // namespace

float dot(const float* a, const float* b, int64_t n) {
#ifdef GW_HAVE_X86
  if (has_avx2_fma()) return dot_avx2(a, b, n);
#endif
  return dot_portable(a, b, n);
}

void dot4(const float* const rows[4], const float* x, int64_t n, float out[4]) {
#ifdef GW_HAVE_X86
  if (has_avx2_fma()) return dot4_avx2(rows, x, n, out);
#endif
  for (int k = 0; k < 4; ++k) out[k] = dot_portable(rows[k], x, n);
}

void dot4x2(const float* const rows[4], const float* x0, const float* x1, int64_t n, float out0[4],
            float out1[4]) {
#ifdef GW_HAVE_X86
  if (has_avx2_fma()) return dot4x2_avx2(rows, x0, x1, n, out0, out1);
#endif
  dot4(rows, x0, n, out0);
  dot4(rows, x1, n, out1);
}

}  // namespace glasswing::cpu

namespace glasswing::cpu {

void axpy(float* y, float a, const float* x, int64_t n) {
#ifdef GW_HAVE_X86
  if (has_avx2_fma()) return axpy_avx2(y, a, x, n);
#endif
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace glasswing::cpu
