#include "inference/cpu/gemm_f32.h"

#include <algorithm>

#include "inference/cpu/simd_x86.h"

#ifdef GW_HAVE_X86
#define GW_AVX512 __attribute__((target("avx512f")))
#endif

namespace glasswing::cpu {

namespace {

// Writes block b's sums: sums[i][j] for input 16 b + j < n_batch and row i < n_rows.
void store_block(const float sums[kMaxGroupRows][kPanelInputs], int64_t n_rows, int64_t b, int64_t n_batch,
                 const GemmOut& out) {
  const int64_t n_in = std::min(kPanelInputs, n_batch - b * kPanelInputs);
  float* o = out.data + b * kPanelInputs * out.input_stride;
  if (out.input_stride == 1) {  // each row's outputs contiguous: row by row (vector copies)
    for (int64_t i = 0; i < n_rows; ++i) {
      const float bias = out.bias ? out.bias[i] : 0.0f;
      for (int64_t j = 0; j < n_in; ++j) o[i * out.row_stride + j] = sums[i][j] + bias;
    }
    return;
  }
  for (int64_t j = 0; j < n_in; ++j)
    for (int64_t i = 0; i < n_rows; ++i)
      o[j * out.input_stride + i * out.row_stride] = sums[i][j] + (out.bias ? out.bias[i] : 0.0f);
}

// The portable form of gemm_rows (the sums in the same k order as the vector kernel).
void gemm_rows_portable(const float* const rows[kMaxGroupRows], int64_t n_rows, int64_t n,
                        const float* panels, int64_t panel_n, int64_t n_batch, const GemmOut& out) {
  for (int64_t b = 0; b * kPanelInputs < n_batch; ++b) {
    float sums[kMaxGroupRows][kPanelInputs] = {};
    const float* p = panels + b * panel_n * kPanelInputs;
    for (int64_t i = 0; i < n_rows; ++i)
      for (int64_t k = 0; k < n; ++k)
        for (int64_t j = 0; j < kPanelInputs; ++j) sums[i][j] += rows[i][k] * p[k * kPanelInputs + j];
    store_block(sums, n_rows, b, n_batch, out);
  }
}

#ifdef GW_HAVE_X86
// MR rows (1..6) against one panel of 16 inputs: 2 x MR accumulators of 8 inputs (the loops over rows
// unrolled, so that the sums stay in registers).
template <int MR>
GW_AVX2 void block_avx2(const float* const rows[kMaxGroupRows], int64_t n, const float* panel,
                        float sums[kMaxGroupRows][kPanelInputs]) {
  __m256 lo[MR], hi[MR];
  const float* r[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    lo[i] = hi[i] = _mm256_setzero_ps();
    r[i] = rows[i];
  }
  for (int64_t k = 0; k < n; ++k) {
    const __m256 x0 = _mm256_loadu_ps(panel + k * kPanelInputs),
                 x1 = _mm256_loadu_ps(panel + k * kPanelInputs + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 w = _mm256_broadcast_ss(r[i] + k);
      lo[i] = _mm256_fmadd_ps(w, x0, lo[i]);
      hi[i] = _mm256_fmadd_ps(w, x1, hi[i]);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    _mm256_storeu_ps(sums[i], lo[i]);
    _mm256_storeu_ps(sums[i] + 8, hi[i]);
  }
}

// The same with one 16-input register per row, MR rows (1..12).
template <int MR>
GW_AVX512 void block_avx512(const float* const rows[kMaxGroupRows], int64_t n, const float* panel,
                            float sums[kMaxGroupRows][kPanelInputs]) {
  __m512 acc[MR];
  const float* r[MR];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    acc[i] = _mm512_setzero_ps();
    r[i] = rows[i];
  }
  for (int64_t k = 0; k < n; ++k) {
    const __m512 x = _mm512_loadu_ps(panel + k * kPanelInputs);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(r[i][k]), x, acc[i]);
  }
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) _mm512_storeu_ps(sums[i], acc[i]);
}

// A block kernel by its row count (index 1..12; AVX2 up to 6).
using BlockFn = void (*)(const float* const rows[kMaxGroupRows], int64_t n, const float* panel,
                         float sums[kMaxGroupRows][kPanelInputs]);
constexpr BlockFn kAvx2Blocks[] = {nullptr,       block_avx2<1>, block_avx2<2>, block_avx2<3>,
                                   block_avx2<4>, block_avx2<5>, block_avx2<6>};
constexpr BlockFn kAvx512Blocks[] = {nullptr,         block_avx512<1>, block_avx512<2>,  block_avx512<3>,
                                     block_avx512<4>, block_avx512<5>, block_avx512<6>,  block_avx512<7>,
                                     block_avx512<8>, block_avx512<9>, block_avx512<10>, block_avx512<11>,
                                     block_avx512<12>};

// Every panel of the batch through one block kernel, each block's sums then stored.
GW_AVX2 void gemm_rows_vector(BlockFn block, const float* const rows[kMaxGroupRows], int64_t n_rows,
                              int64_t n, const float* panels, int64_t panel_n, int64_t n_batch,
                              const GemmOut& out) {
  for (int64_t b = 0; b * kPanelInputs < n_batch; ++b) {
    alignas(64) float sums[kMaxGroupRows][kPanelInputs];
    block(rows, n, panels + b * panel_n * kPanelInputs, sums);
    // The sums are in memory: leave the AVX state clean for store_block and whatever runs next (GCC put no
    // vzeroupper after the kernels, and SSE code after dirty upper halves ran ~50x slower here).
    _mm256_zeroupper();
    store_block(sums, n_rows, b, n_batch, out);
  }
}

bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}
#endif

}  // namespace

int64_t x_panels_size(int64_t n, int64_t n_batch) {
  return (n_batch + kPanelInputs - 1) / kPanelInputs * kPanelInputs * n;
}

void pack_x_panels(float* panels, const GemmInputs& x, int64_t n, int64_t n_batch, int64_t first,
                   int64_t end) {
  for (int64_t b = first; b < end; ++b) {
    float* p = panels + b * n * kPanelInputs;
    const int64_t n_in = std::min(kPanelInputs, n_batch - b * kPanelInputs);
    const float* x0 = x.data + b * kPanelInputs * x.input_stride;
    if (x.input_stride == 1) {  // the block's values of one k are contiguous: copy 16 at a time
      for (int64_t k = 0; k < n; ++k, p += kPanelInputs) {
        std::copy_n(x0 + k * x.k_stride, n_in, p);
        std::fill(p + n_in, p + kPanelInputs, 0.0f);
      }
      continue;
    }
    for (int64_t k = 0; k < n; ++k, p += kPanelInputs) {  // written in order, read from 16 rows
      for (int64_t j = 0; j < n_in; ++j) p[j] = x0[j * x.input_stride + k * x.k_stride];
      std::fill(p + n_in, p + kPanelInputs, 0.0f);
    }
  }
}

bool gemm_kernel_available(GemmKernel kernel) {
  switch (kernel) {
#ifdef GW_HAVE_X86
    case GemmKernel::Avx512:
      return has_avx512();
    case GemmKernel::Avx2:
      return has_avx2_fma();
#endif
    case GemmKernel::Portable:
      return true;
    default:
      return false;
  }
}

GemmKernel best_gemm_kernel() {
  if (gemm_kernel_available(GemmKernel::Avx512)) return GemmKernel::Avx512;
  if (gemm_kernel_available(GemmKernel::Avx2)) return GemmKernel::Avx2;
  return GemmKernel::Portable;
}

int64_t gemm_rows_group(GemmKernel kernel) {
  return kernel == GemmKernel::Avx512 ? 12 : 6;
}

void gemm_rows(GemmKernel kernel, const float* const rows[kMaxGroupRows], int64_t n_rows, int64_t n,
               const float* panels, int64_t panel_n, int64_t n_batch, const GemmOut& out) {
#ifdef GW_HAVE_X86
  if (kernel == GemmKernel::Avx512)
    return gemm_rows_vector(kAvx512Blocks[n_rows], rows, n_rows, n, panels, panel_n, n_batch, out);
  if (kernel == GemmKernel::Avx2)
    return gemm_rows_vector(kAvx2Blocks[n_rows], rows, n_rows, n, panels, panel_n, n_batch, out);
#endif
  gemm_rows_portable(rows, n_rows, n, panels, panel_n, n_batch, out);
}

}  // namespace glasswing::cpu
