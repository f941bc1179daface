#pragma once
// The neural-net blocks of the CPU forward pass: tiny free functions, output first, each opening with its
// shape contract. Only matmul is threaded; it is where the time goes.
#include <cstdint>
#include <span>

#include "inference/cpu/dot_f32.h"
#include "inference/cpu/thread_pool.h"
#include "inference/model/architecture.h"
#include "inference/model/weights.h"

namespace glasswing::cpu {

// out (n_batch, w.n_rows) = x (n_batch, w.n_cols) · Wᵀ (+ bias (w.n_rows) when not empty). W stays in its
// stored format: one row is dequantized once and used for every batch entry (prefill), or dotted in place
// (decode).
void matmul(float* out, const float* x, const model::WeightMatrix& w, model::Vector bias, int64_t n_batch,
            ThreadPool& pool);

// out (n) = x / sqrt(mean(x²) + eps) ⊙ gain.
void rmsnorm(float* out, const float* x, model::Vector gain, int64_t n, float eps);

// out (n) = (x − mean) / sqrt(var + eps) ⊙ gain + bias.
void layernorm(float* out, const float* x, model::Vector gain, model::Vector bias, int64_t n, float eps);

// Rotates the first n_rot dimensions of each of n_heads heads (head_dim apart) in place for position pos;
// divisors (n_rot / 2, or empty): of each pair's angle (model::Weights::rope_divisors); cos and sin times
// mscale (model::RopeScaling::mscale).
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float freq_base,
          model::RopeKind kind, model::Vector divisors = {}, float mscale = 1.0f);

// x (n) += b (n).
void add(float* x, const float* b, int64_t n);

// gate (n) = silu(gate) ⊙ up: the SwiGLU nonlinearity.
void swiglu(float* gate, const float* up, int64_t n);
// gpt-oss's clamped SwiGLU, as ggml's swiglu_oai (f32, expf): g = min(gate, 7), u = clamp(up, −7, 7),
// gate = g / (1 + e^(−1.702 g)) · (u + 1).
void swiglu_oai(float* gate, const float* up, int64_t n);

// x (n) = cap · tanh(x / cap) (gemma2's soft-capping), as ggml: x · (1/cap), tanh, · cap; nothing for cap 0.
void softcap(float* x, int64_t n, float cap);

// x (n) = gelu(x), tanh approximation as in ggml and GPT-2.
void gelu(float* x, int64_t n);

}  // namespace glasswing::cpu
