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
// These roundings alone make position 0 of every shared model match llama.cpp (~1e-5 instead of 0.07-0.31);
// later positions also need ggml's f32 arithmetic bit for bit (inference/cpu/ggml_kernels.h), because any
// last-bit difference eventually flips one 8-bit rounding, which these random-weight models carry to the
// logits as 0.05-0.15.
// The activation rounding for the q8 family (integer codes) is done in ggml_kernels.cpp; here the
// float-valued equivalent serves the other types.
#include <cstdint>
#include <span>

#include "inference/gguf/ggml_type.h"

namespace glasswing::cpu {

// out[n] = x[n] as ggml's mat-mul sees it against a weight of `weight_type` (see above). out may be x.
void round_activation_like_ggml(gguf::GgmlType weight_type, const float* x, float* out, int64_t n);

// x rounded to fp16 and back.
float round_fp16(float x);

// GELU as ggml computes it by default (GGML_GELU_FP16): the tanh approximation evaluated on the fp16
// input and stored as fp16; 0 below −10, identity above 10.
float gelu_ggml(float x);

}  // namespace glasswing::cpu
