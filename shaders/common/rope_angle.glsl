// The RoPE angle of pair i at position pos and the magnitude of its cos and sin: one definition for
// rope_store.comp (prompt steps), attention_lanes.glsl and attention_gpu_body.glsl (one-token steps), so that
// all rotate alike. The table (inference/vulkan/rope_table.h, n_rot + 1 words at binding
// ROPE_FACTORS_BINDING, which the including shader defines) holds each pair's frequency
// θ_i / pos = base^(−2i/n_rot) / divisor_i (model::Weights::rope_divisors: Llama 3.1+'s rope_freqs, LongRoPE's
// factors, linear or YaRN scaling), computed in double on the host, as turns per position in 64-bit fixed
// point (high word, low word), then the magnitude (model::RopeScaling::mscale, 1 for most models).
layout(std430, binding = ROPE_FACTORS_BINDING) readonly buffer RopeTable { uint rope_table[]; };

// pos · θ_i / pos modulo one turn, in integer arithmetic (exact but for the low word's product below 2^-32
// turns), then as a float angle in [−π, π): a float pos · θ_i loses ~pos · 2^-24 radians, and some GPUs'
// cos reduces a large argument in single precision (NVIDIA's: 1.4e-4 off at position 599).
float rope_angle(uint pos, uint i) {
  uint carry, low;
  umulExtended(pos, rope_table[2u * i + 1u], carry, low);  // pos · low word = carry · 2^32 + low
  uint turn = pos * rope_table[2u * i] + carry;             // (whole turns wrap away)
  return float(int(turn)) * 1.4629180792671596e-9;          // 2π / 2^32: the signed fraction of a turn
}

float rope_mscale(uint n_rot) {
  return uintBitsToFloat(rope_table[n_rot]);
}
