#pragma once
// The fused dot-product kernels behind dot_row, one set per instruction set. Internal to inference/quant/.
#include <cstdint>

#include "inference/quant/activation.h"
#include "inference/quant/quant.h"

namespace glasswing::quant::kernels {

// Dot product of one stored row (n elements, a whole number of blocks, already checked) with x.
using DotFn = float (*)(const void* row, const float* x, int64_t n);

// Plain C++ kernels (any CPU; the compiler may vectorise them). nullptr for unsupported types.
DotFn portable(GgmlType type);

// The i-quants' and ternary types' kernels (iquants.cpp, any CPU); nullptr for other types.
DotFn sub32_dot(GgmlType type);

// AVX2 + FMA + F16C kernels; nullptr for unsupported types or when not built for x86-64.
DotFn avx2(GgmlType type);

// AVX2 kernels of the types with per-32 mins (q4_K, q5_K) taking the sums of x over each 32 elements
// precomputed; nullptr for other types or when not built for x86-64.
using DotMinsFn = float (*)(const void* row, const float* x, const float* sums32, int64_t n);
DotMinsFn avx2_mins(GgmlType type);

// Integer kernels against an 8-bit activation (see activation.h): row of xq.n elements (block types only).
using DotQ8Fn = float (*)(const void* row, const QuantizedActivation& xq);
DotQ8Fn portable_q8(GgmlType type);
DotQ8Fn avx2_q8(GgmlType type);  // nullptr when not built for x86-64

// AVX2 decoders giving the reference decoders' exact floats (dequant_avx2.cpp), for the types prefill decodes
// most; nullptr for other types or when not built for x86-64.
using DequantFn = void (*)(const void* src, float* dst, int64_t n);
DequantFn avx2_dequant(GgmlType type);

// The i-quants' AVX2 decoders (dot_avx2.cpp), exact as avx2_dequant's; nullptr for other types.
DequantFn avx2_iquant_dequant(GgmlType type);

// True when this CPU can run the avx2() kernels.
bool cpu_has_avx2();

}  // namespace glasswing::quant::kernels
