// The RoPE angle of pair i at position pos, theta_i = pos * base^(-2i/n_rot) / rope_factors[i], and the
// magnitude of its cos and sin: one definition for rope_store.comp (prompt steps), attention_lanes.glsl and
// attention_gpu_body.glsl (one-token steps), so that all rotate alike. rope_factors (n_rot / 2 + 1 floats at
// binding ROPE_FACTORS_BINDING, which the including shader defines): each pair's divisor (model::Weights::
// rope_divisors: Llama 3.1+'s rope_freqs, LongRoPE's factors, linear or YaRN scaling; ones for models
// without), then the magnitude (model::RopeScaling::mscale, 1 for most models).
layout(std430, binding = ROPE_FACTORS_BINDING) readonly buffer RopeFactors { float rope_factors[]; };

float rope_theta(float pos, uint i, uint n_rot, float base) {
  return pos * pow(base, -2.0 * float(i) / float(n_rot)) / rope_factors[i];
}

float rope_mscale(uint n_rot) {
  return rope_factors[n_rot / 2u];
}
