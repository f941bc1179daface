#pragma once
// Faster mat-vec for CPU decoding: quantize the activation vector x to 8 bits once, then take integer dot
// products against every quantized weight row (as ggml's vec_dot with q8_0 / q8_K does). Each row costs
// about half of dot_row, at the price of rounding x to 8 bits per 32 elements (relative error ~0.4% per
// element, the same trade llama.cpp's CPU backend makes).
//
//   QuantizedActivation xq;
//   quantize_activation(x, n, xq);                  // once per mat-vec
//   for (row...) y[r] = dot_row_q8(type, row_ptr(r), xq);
//
// Every type dot_row accepts works; F32/F16/BF16 rows use the unrounded x kept inside xq.
#include <cstdint>
#include <vector>

#include "inference/quant/quant.h"

namespace glasswing::quant {

struct QuantizedActivation {
  int64_t n = 0;
  std::vector<float> x;       // the original values (for float weight types and odd lengths)
  std::vector<float> d;       // per 32 elements: scale, x[i] ≈ d * qs[i]
  std::vector<int8_t> qs;     // n codes in [-127, 127] (padded to a multiple of 32)
  std::vector<int16_t> sums;  // per 16 elements: sum of qs (for weight types with a min)
};

// Quantizes x[n] (any n; the 8-bit form covers the whole 32-element blocks). Reuses out's storage.
void quantize_activation(const float* x, int64_t n, QuantizedActivation& out);

// Dot product of one stored row of xq.n elements with the quantized activation. Same errors as dot_row.
float dot_row_q8(GgmlType type, const void* row, const QuantizedActivation& xq);

}  // namespace glasswing::quant
