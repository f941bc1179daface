// The RoPE angle of pair i at position pos, theta_i = pos * base^(-2i/n_rot) / rope_factors[i]: one definition
// for rope_store.comp (prompt steps), attention_lanes.glsl and attention_gpu_body.glsl (one-token steps), so
// that all rotate alike. rope_factors (n_rot / 2 floats at binding ROPE_FACTORS_BINDING, which the including
// shader defines) divide each pair's frequency: Llama 3.1+'s rope_freqs, ones for models without.
layout(std430, binding = ROPE_FACTORS_BINDING) readonly buffer RopeFactors { float rope_factors[]; };

float rope_theta(float pos, uint i, uint n_rot, float base) {
  return pos * pow(base, -2.0 * float(i) / float(n_rot)) / rope_factors[i];
}
