#pragma once
// Prefill's mat-mul inner kernel: a few dequantized weight rows against the batch's inputs packed k-major in
// blocks of 16 ("x panels", packed once per mat-mul and shared by every row). The AVX2/FMA kernel keeps a
// 6-row x 16-input block of sums in registers and walks k once, broadcasting one weight of each row and
// loading 16 inputs' values per step: 12 FMAs per 8 loads, so it runs at the FMA units' rate. The AVX-512
// kernel keeps 12 rows x 16 inputs (12 FMAs of twice the width per 13 loads). The
// dot-product form it replaces (dot4x2: 4 rows x 2 inputs) read every input once per 4 rows and half its
// loads were inputs. Sums run in k order in one f32 lane each (a different order from dot4's eight partial
// sums, so not the same bits).
#include <cstdint>

namespace glasswing::cpu {

constexpr int64_t kPanelInputs = 16;   // inputs per x panel
constexpr int64_t kMaxGroupRows = 12;  // weight rows per gemm_rows call, at most (gemm_rows_group())

// Floats pack_x_panels writes for n_batch inputs of n values.
int64_t x_panels_size(int64_t n, int64_t n_batch);

// Where the inputs are: value k of input t at data[t * input_stride + k * k_stride].
struct GemmInputs {
  const float* data;
  int64_t input_stride;
  int64_t k_stride = 1;
};

// panels[(b * n + k) * 16 + j] = value k of input 16 b + j for the blocks b in [first, end) of 16 inputs
// (inputs past n_batch: zero); the blocks are independent (threads may pack different ones).
void pack_x_panels(float* panels, const GemmInputs& x, int64_t n, int64_t n_batch, int64_t first,
                   int64_t end);
inline int64_t x_panel_blocks(int64_t n_batch) {
  return (n_batch + kPanelInputs - 1) / kPanelInputs;
}

// The kernels: portable C++ (any CPU), AVX2/FMA, AVX-512F.
enum class GemmKernel { Portable, Avx2, Avx512 };
bool gemm_kernel_available(GemmKernel kernel);
GemmKernel best_gemm_kernel();  // AVX-512 where the CPU has it, else AVX2, else portable

// Rows per gemm_rows call: 12 for AVX-512 (one 16-input register per row), 6 otherwise.
int64_t gemm_rows_group(GemmKernel kernel);

// Where the sums go: row i of input t at data[t * input_stride + i * row_stride], plus bias[i] when bias is
// not null.
struct GemmOut {
  float* data;
  int64_t input_stride;
  int64_t row_stride = 1;
  const float* bias = nullptr;
};

// For t < n_batch and i < n_rows (<= gemm_rows_group(kernel)): out(t, i) = Σ_{k < n} rows[i][k] · x(t, k), x
// as packed by pack_x_panels with n = panel_n (>= n: a product over the first n values of longer inputs),
// with an available kernel.
void gemm_rows(GemmKernel kernel, const float* const rows[kMaxGroupRows], int64_t n_rows, int64_t n,
               const float* panels, int64_t panel_n, int64_t n_batch, const GemmOut& out);

}  // namespace glasswing::cpu
