#version 450
#extension GL_EXT_control_flow_attributes : require
// delta_rule.comp for GPUs: the same gated delta rule, spread over the state's rows. A value head's state S
// (head_v_dim rows over head_k_dim columns) updates each row on its own (row i needs only v_i and the head's
// q and k), so a workgroup takes ROWS rows of one head, LANES invocations per row, each holding head_k_dim /
// LANES of the row's columns in registers for the whole step: the state is read and written once per step,
// not three times per token, and a head spreads over head_v_dim / ROWS workgroups instead of one (Qwen3.5
// 0.8B: 128 workgroups, not 16). Per token each invocation sums its columns' S·k, k·k and q·q, the row's
// lanes exchange them through shared memory (norms: the raw sums scale linearly, S·k̂ = (S·k)·k_scale), then
// S ← e^g S, S ← S + β (v − S k̂) k̂ᵀ as in delta_rule.comp and o_i = S q̂ is summed the same way. The raw
// o goes to `out`; delta_gated_norm.comp applies the RMSNorm with its gains and SiLU(z) afterwards.
// Lane l of a row owns the columns l, l + LANES, ...; invocation l · ROWS + r runs lane l of row r, so that
// neighbouring invocations load and store neighbouring floats of the column-major state. Needs head_k_dim a
// multiple of LANES up to LANES · MAX_C, head_v_dim a multiple of ROWS (the host checks).
const uint ROWS = 16u, LANES = 8u, MAX_C = 32u;
layout(local_size_x = 128) in;  // ROWS · LANES
layout(std430, binding = 0) readonly buffer QKV { float qkv[]; };      // (n_tokens, 2·key_dim + value_dim)
layout(std430, binding = 1) readonly buffer Z { float z[]; };          // (unused here: delta_gated_norm)
layout(std430, binding = 2) readonly buffer Beta { float beta_in[]; }; // (n_tokens, n_v_heads) logits
layout(std430, binding = 3) readonly buffer Alpha { float alpha[]; };  // (n_tokens, n_v_heads)
layout(std430, binding = 4) readonly buffer DtBias { float dt_bias[]; };
layout(std430, binding = 5) readonly buffer A { float a_log[]; };      // −exp(A_log) per value head
layout(std430, binding = 6) readonly buffer Norm { float norm_w[]; };  // (unused here)
layout(std430, binding = 7) buffer State { float S[]; };               // (n_v_heads, head_v_dim, head_k_dim)
layout(std430, binding = 8) writeonly buffer Out { float o_out[]; };   // (n_tokens, value_dim), raw o
layout(push_constant) uniform Push {
  uint n_tokens;
  uint n_k_heads;
  uint n_v_heads;
  uint dk;
  uint dv;
  float eps;
  uint grouped;  // Qwen3-Next: key head h / (n_v / n_k), β and α packed per key head in one row of 2·n_v
} p;
// (S·k, k·k, q·q) per invocation, then o's partial sums; by token parity, so that one token's reads never
// meet the next token's writes without a barrier between them
shared vec3 part[2][ROWS * LANES];
shared float opart[2][ROWS * LANES];

void main() {
  const uint h = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
  const uint lane = tid / ROWS, rloc = tid % ROWS, i = gl_WorkGroupID.y * ROWS + rloc;  // state row i
  const uint r = p.n_v_heads / p.n_k_heads;
  const uint kh = p.grouped != 0u ? h / r : h % p.n_k_heads;
  const uint key_dim = p.n_k_heads * p.dk, value_dim = p.n_v_heads * p.dv;
  const uint ba_width = p.grouped != 0u ? 2u * p.n_v_heads : p.n_v_heads;
  const uint b_at = p.grouped != 0u ? (h / r) * 2u * r + h % r : h;
  const uint a_at = p.grouped != 0u ? b_at + r : h;
  const uint channels = 2u * key_dim + value_dim;
  const uint nc = p.dk / LANES;
  const uint s0 = h * p.dv * p.dk + i;  // element (i, j) at s0 + j · dv
  float s[MAX_C];
  [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
    if (c < nc) s[c] = S[s0 + (lane + c * LANES) * p.dv];
  for (uint t = 0u; t < p.n_tokens; ++t) {
    const uint row = t * channels, par = t & 1u;
    const uint qo = row + kh * p.dk + lane, ko = qo + key_dim;
    const float pre = alpha[t * ba_width + a_at] + dt_bias[h];
    const float decay = exp((pre > 20.0 ? pre : log(1.0 + exp(pre))) * a_log[h]);
    const float beta = 1.0 / (1.0 + exp(-beta_in[t * ba_width + b_at]));
    vec3 mine = vec3(0.0);  // S·k (after the decay), k·k, q·q over this lane's columns
    [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
      if (c < nc) {
        const float k = qkv[ko + c * LANES], q = qkv[qo + c * LANES];
        s[c] *= decay;
        mine += vec3(s[c] * k, k * k, q * q);
      }
    part[par][tid] = mine;
    barrier();
    vec3 sum = vec3(0.0);
    [[unroll]] for (uint l = 0u; l < LANES; ++l) sum += part[par][l * ROWS + rloc];
    const float k_scale = 1.0 / max(sqrt(sum.y), p.eps);
    const float q_scale = 1.0 / max(sqrt(sum.z), p.eps) / sqrt(float(p.dk));
    const float d = (qkv[row + 2u * key_dim + h * p.dv + i] - sum.x * k_scale) * beta;
    float o = 0.0;
    [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
      if (c < nc) {
        s[c] += qkv[ko + c * LANES] * k_scale * d;
        o += s[c] * (qkv[qo + c * LANES] * q_scale);
      }
    opart[par][tid] = o;
    barrier();
    if (lane == 0u) {
      float total = 0.0;
      [[unroll]] for (uint l = 0u; l < LANES; ++l) total += opart[par][l * ROWS + rloc];
      o_out[t * value_dim + h * p.dv + i] = total;
    }
  }
  [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
    if (c < nc) S[s0 + (lane + c * LANES) * p.dv] = s[c];
}
