#include "inference/model/rope_scaling.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace glasswing::model {

namespace {

float positive_key(const gguf::GgufFile& file, const std::string& key, double fallback) {
  const double v = file.get_float(key).value_or(fallback);
  if (!(v > 0) || !std::isfinite(v))
    throw std::runtime_error(key + " " + std::to_string(v) + " must be positive");
  return static_cast<float>(v);
}

// The pair whose wavelength fits `rotations` times into n_ctx_orig positions (ggml_rope_yarn_corr_dim).
float corr_pair(int64_t n_rot, int64_t n_ctx_orig, float rotations, float base) {
  return static_cast<float>(n_rot) *
         std::log(static_cast<float>(n_ctx_orig) / (rotations * 2.0f * std::numbers::pi_v<float>)) /
         (2.0f * std::log(base));
}

}  // namespace

RopeScaling RopeScaling::from_gguf(const gguf::GgufFile& file, const std::string& a, int64_t n_rot,
                                   float base, int64_t n_ctx_train) {
  RopeScaling r;
  // As llama.cpp: no type key means "linear" (a factor of 1 unless rope.scaling.factor says otherwise).
  const std::string type = file.get_string(a + "rope.scaling.type").value_or("linear");
  r.attn_factor = positive_key(file, a + "rope.scaling.attn_factor", 1.0);
  r.n_ctx_orig = file.get_int(a + "rope.scaling.original_context_length").value_or(n_ctx_train);
  if (r.n_ctx_orig <= 0) throw std::runtime_error("rope.scaling.original_context_length must be positive");
  if (type == "none" || type == "longrope")
    return r;  // LongRoPE: its factor tensors (Weights) and attn_factor
  if (type != "linear" && type != "yarn")
    throw std::runtime_error("RoPE scaling '" + type +
                             "' (rope.scaling.type) is not supported: Glasswing computes none, linear, yarn, "
                             "longrope and Llama 3's rope_freqs");
  const std::string factor_key =
      file.get_float(a + "rope.scaling.factor") ? a + "rope.scaling.factor" : a + "rope.scale_linear";
  r.freq_scale = 1.0f / positive_key(file, factor_key, 1.0);
  if (type == "linear") return r;

  r.yarn_log_mul = static_cast<float>(file.get_float(a + "rope.scaling.yarn_log_multiplier").value_or(0.0));
  if (!(r.yarn_log_mul >= 0.0f) || !std::isfinite(r.yarn_log_mul))
    throw std::runtime_error("rope.scaling.yarn_log_multiplier must not be negative");
  r.ext_factor = static_cast<float>(file.get_float(a + "rope.scaling.yarn_ext_factor").value_or(1.0));
  if (!(r.ext_factor >= 0.0f && r.ext_factor <= 1.0f))
    throw std::runtime_error("rope.scaling.yarn_ext_factor must be between 0 and 1");
  r.beta_fast = positive_key(file, a + "rope.scaling.yarn_beta_fast", 32.0);
  r.beta_slow = positive_key(file, a + "rope.scaling.yarn_beta_slow", 1.0);
  // ggml_rope_yarn_corr_dims: the ramp runs from the pair that turns beta_fast times over the original
  // context (rounded down) to the one that turns beta_slow times (rounded up), within [0, n_rot - 1]
  r.corr_low = std::max(0.0f, std::floor(corr_pair(n_rot, r.n_ctx_orig, r.beta_fast, base)));
  r.corr_high =
      std::min(static_cast<float>(n_rot - 1), std::ceil(corr_pair(n_rot, r.n_ctx_orig, r.beta_slow, base)));
  return r;
}

float RopeScaling::ramp(int64_t pair) const {
  if (ext_factor == 0.0f) return 0.0f;
  const float y = (static_cast<float>(pair) - corr_low) / std::max(0.001f, corr_high - corr_low);
  return (1.0f - std::min(1.0f, std::max(0.0f, y))) * ext_factor;
}

float RopeScaling::mscale() const {
  // (llama.cpp's context divides its own 1 + 0.1 · ln(factor) back out of what the kernel multiplies in,
  // leaving HF's get_mscale: 1 for factors up to 1)
  if (ext_factor == 0.0f || freq_scale >= 1.0f) return attn_factor;
  return attn_factor * (1.0f + 0.1f * std::log(1.0f / freq_scale));
}

}  // namespace glasswing::model
