#pragma once
// Shared between the files of inference/quant/ only.
#include <cstdint>

#include "inference/quant/quant.h"

namespace glasswing::quant {

using DequantizeFn = void (*)(const void* src, float* dst, int64_t n);

// The reference decoder of a type, or nullptr when unsupported.
DequantizeFn dequantize_fn(GgmlType type);

using QuantizeFn = void (*)(const float* src, void* dst, int64_t n);

// The quantizers of the i-quants and ternary types (iquant_quantize.cpp), or nullptr for other types.
QuantizeFn sub32_quantize_fn(GgmlType type);

// The decoders of the i-quants and ternary types (iquants.cpp), or nullptr for other types.
DequantizeFn sub32_dequantize_fn(GgmlType type);

// The decoder dequantize_row uses: an AVX2 one with the same results where the CPU and type have one, else
// the reference.
DequantizeFn fast_dequantize_fn(GgmlType type);

// Throws std::invalid_argument (naming `what`) when n is negative or not a whole number of blocks.
void check_row(GgmlType type, int64_t n, const char* what);

// dot_row computed the simple way: decode block by block into a stack buffer, then multiply-add.
// The fast kernels are tested against it.
float dot_row_reference(GgmlType type, const void* row, const float* x, int64_t n);

}  // namespace glasswing::quant
