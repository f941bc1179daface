#pragma once
// Reference-compatible rounding: the roundings llama.cpp's CPU backend applies between f32 operations,
// reproduced so that this engine's logits can be compared with llama.cpp's at the 0.02 level.
//
// Why: ggml never multiplies a quantized weight by an f32 activation. It first converts the activation row
// to the weight's "vec_dot_type" and takes integer (or f16) dot products:
//   F16 weights -> activation rounded to fp16;  BF16 -> bf16;  F32 -> unchanged
//   Q8_0, Q4_0, Q5_0 -> q8_0 (per 32: d = amax/127 stored fp16, q = round(x·127/amax))
//   Q4_1, Q5_1      -> q8_1 (as q8_0, plus s = fp16(d·Σq) with the unrounded d, used for the weight's min)
//   Q2_K … Q6_K     -> q8_K (per 256: iscale = −127/max (signed max), q = nearest(iscale·x) ≤ 127, d =
//   1/iscale)
// and with an F16 KV cache it rounds K, V, the query (converted for the F16 K·Q product) and the softmax
// probabilities (converted for the F16 V product) to fp16; GELU is a lookup table over fp16 inputs.
// Measured (tests/engine/test_logits.cpp): with these roundings, position 0 of every shared model matches
// llama.cpp to ~1e-5 instead of 0.07–0.31. Later positions still differ by up to ~0.15 on the quantized
// models: these random-weight models amplify any last-bit difference (summation order, exp approximations)
// through the 8-bit roundings, and two bit-different but equally valid emulations differ from each other by
// the same ~0.1. Only a bit-exact copy of ggml's ISA-specific kernels would go further.
#include <cstdint>
#include <span>

#include "inference/gguf/ggml_type.h"

namespace glasswing::cpu {

// out[n] = x[n] as ggml's mat-mul sees it against a weight of `weight_type` (see above). out may be x.
void round_activation_like_ggml(gguf::GgmlType weight_type, const float* x, float* out, int64_t n);

// True when the weight type needs min_correction_q8_1 after the mat-mul (Q4_1, Q5_1).
bool needs_q8_1_min_correction(gguf::GgmlType weight_type);

// For Q4_1/Q5_1: ggml's dot uses the block min times s = fp16(d·Σq) rather than times fp16(d)·Σq.
// corr[n / 32] receives s − fp16(d)·Σq per 32-element block of the original (unrounded) activation x[n];
// the mat-mul output of row r then gains Σ_b min(r, b) · corr[b] (see add_q8_1_min_correction).
void q8_1_min_correction(const float* x, float* corr, int64_t n);

// out += Σ_b min_b · corr[b] over the blocks of one stored Q4_1/Q5_1 row of n elements.
float q8_1_row_correction(gguf::GgmlType weight_type, const void* row, const float* corr, int64_t n);

// x rounded to fp16 and back.
float round_fp16(float x);

// GELU as ggml computes it by default (GGML_GELU_FP16): the tanh approximation evaluated on the fp16
// input and stored as fp16; 0 below −10, identity above 10.
float gelu_ggml(float x);

}  // namespace glasswing::cpu
