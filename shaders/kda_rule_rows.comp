#version 450
#extension GL_EXT_control_flow_attributes : require
// kda_rule.comp for GPUs, as delta_rule_rows.comp spreads delta_rule.comp: ROWS value rows of one head per
// workgroup, LANES invocations per row, each holding head_dim / LANES of the row's key columns in registers
// for the whole step. Column j decays by its own e^{a[h] · softplus(g_in_j + dt_bias_j)}, which each lane
// computes for its columns; the row's S·k, k·k, q·q and then o = S q̂ are summed across its lanes through
// shared memory. The raw o goes to `out`; delta_gated_norm.comp (sigmoid gate) applies the RMSNorm, its gains
// and σ(z) afterwards. Needs head_dim a multiple of ROWS (so of LANES) up to LANES · MAX_C (the host checks).
const uint ROWS = 16u, LANES = 8u, MAX_C = 32u;
layout(local_size_x = 128) in;  // ROWS · LANES
layout(std430, binding = 0) readonly buffer QKV { float qkv[]; };      // 3 planes of (n_tokens, inner)
layout(std430, binding = 1) readonly buffer G { float g_in[]; };       // (n_tokens, inner) f_b · f_a · x
layout(std430, binding = 2) readonly buffer Z { float z[]; };          // (unused here: delta_gated_norm)
layout(std430, binding = 3) readonly buffer Beta { float beta_in[]; }; // (n_tokens, n_heads) logits
layout(std430, binding = 4) readonly buffer DtBias { float dt_bias[]; };  // (inner)
layout(std430, binding = 5) readonly buffer A { float a_log[]; };      // −exp(A_log) per head
layout(std430, binding = 6) readonly buffer Norm { float norm_w[]; };  // (unused here)
layout(std430, binding = 7) buffer State { float S[]; };               // (n_heads, head_dim, head_dim)
layout(std430, binding = 8) writeonly buffer Out { float o_out[]; };   // (n_tokens, inner), raw o
layout(push_constant) uniform Push {
  uint n_tokens;
  uint n_heads;
  uint d;  // head_dim, of q, k and v alike
  float eps;
} p;
shared vec3 part[2][ROWS * LANES];  // by token parity, as delta_rule_rows.comp
shared float opart[2][ROWS * LANES];

void main() {
  const uint h = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
  const uint lane = tid / ROWS, rloc = tid % ROWS, i = gl_WorkGroupID.y * ROWS + rloc;  // state row i
  const uint inner = p.n_heads * p.d, plane = p.n_tokens * inner;
  const uint nc = p.d / LANES;
  const uint s0 = h * p.d * p.d + i;  // element (i, j) at s0 + j · d
  float s[MAX_C];
  [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
    if (c < nc) s[c] = S[s0 + (lane + c * LANES) * p.d];
  for (uint t = 0u; t < p.n_tokens; ++t) {
    const uint row = t * inner + h * p.d, par = t & 1u;
    const float beta = 1.0 / (1.0 + exp(-beta_in[t * p.n_heads + h]));
    vec3 mine = vec3(0.0);  // S·k (after the decays), k·k, q·q over this lane's columns
    [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
      if (c < nc) {
        const uint j = lane + c * LANES;
        const float q = qkv[row + j], k = qkv[plane + row + j];
        const float pre = g_in[row + j] + dt_bias[h * p.d + j];
        s[c] *= exp((pre > 20.0 ? pre : log(1.0 + exp(pre))) * a_log[h]);
        mine += vec3(s[c] * k, k * k, q * q);
      }
    part[par][tid] = mine;
    barrier();
    vec3 sum = vec3(0.0);
    [[unroll]] for (uint l = 0u; l < LANES; ++l) sum += part[par][l * ROWS + rloc];
    const float k_scale = 1.0 / max(sqrt(sum.y), p.eps);
    const float q_scale = 1.0 / max(sqrt(sum.z), p.eps) / sqrt(float(p.d));
    const float dlt = (qkv[2u * plane + row + i] - sum.x * k_scale) * beta;
    float o = 0.0;
    [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
      if (c < nc) {
        const uint j = lane + c * LANES;
        s[c] += qkv[plane + row + j] * k_scale * dlt;
        o += s[c] * (qkv[row + j] * q_scale);
      }
    opart[par][tid] = o;
    barrier();
    if (lane == 0u) {
      float total = 0.0;
      [[unroll]] for (uint l = 0u; l < LANES; ++l) total += opart[par][l * ROWS + rloc];
      o_out[row + i] = total;
    }
  }
  [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
    if (c < nc) S[s0 + (lane + c * LANES) * p.d] = s[c];
}
