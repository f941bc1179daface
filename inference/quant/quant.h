#pragma once
// Tensor element formats: dequantization (bit-exact with ggml's block definitions), dot products that read
// quantized rows directly, and quantizers (used by `glasswing-cli synth` and tests).
#include <cstdint>

#include "inference/gguf/ggml_type.h"

namespace glasswing::quant {

using gguf::GgmlType;

// True for the types this engine can compute with: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
// Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, MXFP4, the i-quants IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S,
// IQ3_XXS, IQ3_S and the ternary TQ1_0, TQ2_0.
bool can_dequantize(GgmlType type);

// Decodes n elements (a multiple of the type's block size) starting at src into dst.
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);

// Dot product of one stored row of n elements with an f32 vector x[n], without materialising the row.
float dot_row(GgmlType type, const void* row, const float* x, int64_t n);

// dot_row's kernel for rows of one type and n elements, looked up and checked once for a whole matrix (a
// decode step dots thousands of rows; the per-call lookup and checks were ~3 % of it). Throws what dot_row
// would for an unsupported type or a row length that is not a whole number of blocks.
using RowDot = float (*)(const void* row, const float* x, int64_t n);
RowDot row_dot(GgmlType type, int64_t n);

// For the types whose blocks have a min per 32 elements (q4_K, q5_K) on CPUs with the AVX2 kernels: a row
// kernel that takes the sums of x over each 32 elements (sums_of_32, once per mat-vec) instead of adding them
// up again for every row. nullptr where there is none (use row_dot). Checks as row_dot does.
using RowDotMins = float (*)(const void* row, const float* x, const float* sums32, int64_t n);
RowDotMins row_dot_mins(GgmlType type, int64_t n);
// out[k] = x[32k] + ... + x[32k + 31] for k < n / 32.
void sums_of_32(const float* x, int64_t n, float* out);

// True for the types quantize_row can write.
bool can_quantize(GgmlType type);

// Encodes n floats (a multiple of the block size) into dst in the type's exact block format.
void quantize_row(GgmlType type, const float* src, void* dst, int64_t n);

}  // namespace glasswing::quant
