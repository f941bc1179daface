#pragma once
// Rounding::LlamaCpp kernels: the f32 arithmetic of llama.cpp's x86 AVX2/FMA CPU backend reproduced bit for
// bit where it matters (mat-mul summation order, exp approximation, FMA-contracted RoPE), so that the
// 8-bit/fp16 roundings of inference/cpu/ggml_rounding.h see the same bits as llama.cpp and never "flip".
//
// Why bit for bit: each 8-bit activation rounding turns a last-bit difference into a whole quantization step,
// and these random-weight test models carry one such step to the logits as 0.05-0.15. With plain f32 kernels
// the reference logits are matched exactly until the first flip and by ~0.1 after it.
//
// Order reproduced (llamafile tinyBLAS and ggml_vec_dot_* on AVX2): 8 f32 lanes; lane l accumulates with
// FMA, in order, the products of elements ≡ l (mod 8) (float weights) or, per block, d_w·d_x times the
// integer sum of elements 4l…4l+3 of every 32 (Q8_0/Q5_0/Q4_1/Q5_1 and, with their sub-block scales, the
// K types, whose minimums are added as ggml does per type); then hsum: (lo+hi), (0+2, 1+3), (0+1).
// Q4_0 follows the repacked q4_0_8x8 kernel (one accumulator per output, whole-block sums), which ggml's
// CPU_REPACK buffer uses for Q4_0 on AVX2. Validated bit for bit against every shared reference file
// (tests/engine/test_logits.cpp); other ISAs (AVX-512, ARM) sum in other orders and are not reproduced.
#include <cstdint>

#include "inference/cpu/thread_pool.h"
#include "inference/model/architecture.h"
#include "inference/model/weights.h"

namespace glasswing::cpu {

// out (n_batch, w.n_rows) = x · Wᵀ (+ bias) with llama.cpp's activation rounding and summation order.
void matmul_like_ggml(float* out, const float* x, const model::WeightMatrix& w, model::Vector bias,
                      int64_t n_batch, ThreadPool& pool);

// Σ a[i]·b[i] in the 8-lane FMA order above (n a multiple of 8; a tail is added lane by lane).
float dot_lanes(const float* a, const float* b, int64_t n);

// F32 weights go through tinyBLAS (the 8-lane order above) only when it accepts the shape: a contraction
// n_cols that is a multiple of 8 and a multiple of 4 rows. Otherwise ggml_vec_dot_f32 sums (stories260K's
// FFN down projection, n_cols 172).
bool uses_vec_dot_f32(gguf::GgmlType type, int64_t n_cols, int64_t n_rows);

// ggml_vec_dot_f32 (AVX2): 4 × 8 FMA lanes over steps of 32 (element i in accumulator (i mod 32) / 8, lane
// i mod 8), reduced accumulator-wise (0+2, 1+3, then 0+1), lanes (l + l+4), then (0+1) + (2+3); the
// leftovers past the last step of 32 added one by one in f32.
float dot_vec_f32(const float* a, const float* b, int64_t n);

// gate = silu(gate)·up over n_rows rows of n_ff, as ggml_vec_swiglu_f32 (AVX2): x / (1 + e^−x) with
// ggml's exp approximation in groups of 8, and the C library's expf for each row's n_ff mod 8 leftovers.
void swiglu_like_ggml(float* gate, const float* up, int64_t n_rows, int64_t n_ff);

// A K-type super-block with separate minimums (Q2_K, Q4_K, Q5_K), decoded to integers:
// w_i = d·sc_s·q_i − dmin·m_s for element i of sub-block s.
struct KMinBlock {
  float d = 0, dmin = 0;
  int sub = 32;  // elements per sub-block (16 for Q2_K)
  int32_t sc[16] = {}, m[16] = {};
};
KMinBlock decode_kmin(gguf::GgmlType t, const uint8_t* block);

// ggml_v_expf (AVX2): ARM optimized-routines polynomial, ≤ 1.95 ulp; 0 for x < −103.9 (and −inf).
float expf_like_ggml(float x);

// RoPE's cos and sin of every pair at `pos` as ggml computes them (ggml_rope_cache_init, rope_yarn):
// θ_i = pos·base^(−2i/n_rot) by repeated f32 multiplication, divided by its freq_factor (f32) when there are
// factors, then scaled and ramped as `scaling` says (model/rope_scaling.h; none: the default), cosf/sinf
// times the magnitude. cs: n_rot / 2 (cos, sin) pairs.
void rope_cos_sin_like_ggml(int64_t pos, int64_t n_rot, float freq_base, model::Vector freq_factors,
                            const model::RopeScaling& scaling, float* cs);
// RoPE as ggml computes it: those angles, and the rotation contracted to FMAs (GCC's default
// -ffp-contract=fast).
void rope_like_ggml(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float freq_base,
                    model::RopeKind kind, model::Vector freq_factors = {},
                    const model::RopeScaling& scaling = {});

}  // namespace glasswing::cpu
