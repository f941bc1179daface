#pragma once
// How a model stretches RoPE beyond the context it was trained for, as llama.cpp applies it (ggml's
// rope_yarn): pair i of a head turns at
//
//   θ_i = pos · base^(−2i/n_rot) / f_i · (s · (1 − m_i) + m_i),   cos θ_i and sin θ_i scaled by mscale()
//
// where f_i are per-pair frequency factors (Weights: Llama 3.1's rope_freqs, Phi-3's LongRoPE factors),
// s = freq_scale (1 / rope.scaling.factor: "linear" and "yarn") and m_i YaRN's ramp: 1 for the fast pairs
// (extrapolated, unscaled), 0 for the slow ones (interpolated by s), linear between corr_low and corr_high.
#include <cstdint>

#include "inference/gguf/gguf_file.h"

namespace glasswing::model {

struct RopeScaling {
  float freq_scale = 1.0f;   // 1 / rope.scaling.factor ("linear", "yarn"); 1: none
  float ext_factor = 0.0f;   // YaRN: 1 (how much of the ramp applies); else 0
  float attn_factor = 1.0f;  // rope.scaling.attn_factor: scales cos and sin (Phi-3's LongRoPE writes it)
  int64_t n_ctx_orig = 0;    // rope.scaling.original_context_length, else the training context
  float beta_fast = 32.0f, beta_slow = 1.0f;  // YaRN: rotations over n_ctx_orig bounding the ramp
  float corr_low = 0.0f, corr_high = 0.0f;    // YaRN: the ramp's first and last pair
  // DeepSeek's YaRN (rope.scaling.yarn_log_multiplier, 0.1 · mscale_all_dim of its config): cos and sin keep
  // magnitude 1 and the attention scores scale by (1 + yarn_log_mul · ln(factor))² instead
  // (ModelDescription applies both); 0: none
  float yarn_log_mul = 0.0f;

  // Reads the rope.scaling.* keys of architecture prefix `a` ("llama."); n_rot, base and the training
  // context bound YaRN's ramp. Throws std::runtime_error for a type it does not compute or a bad value.
  static RopeScaling from_gguf(const gguf::GgufFile& file, const std::string& a, int64_t n_rot, float base,
                               int64_t n_ctx_train);

  // YaRN's share of the unscaled angle for pair i (0 without YaRN).
  float ramp(int64_t pair) const;
  // The factor of pair i's angle: s · (1 − m_i) + m_i.
  double angle_scale(int64_t pair) const { return freq_scale * (1.0 - ramp(pair)) + ramp(pair); }
  // cos and sin magnitude: attn_factor, times YaRN's 1 + 0.1 · ln(1 / s) where it stretches (s < 1).
  float mscale() const;
  bool scales_angles() const { return freq_scale != 1.0f || ext_factor != 0.0f; }
};

}  // namespace glasswing::model
