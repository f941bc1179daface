// The delta rule spread over a state's rows, for GPUs (delta_rule_rows.comp: Qwen3.5's gated delta rule;
// kda_rule_rows.comp: Kimi Delta Attention, a decay per key column). A head's state S (value rows over key
// columns) updates each row on its own (row i needs only v_i and the head's q and k), so a workgroup takes
// ROWS rows of one head, LANES invocations per row, each holding KEY_DIM / LANES of the row's columns in
// registers for the whole step: the state is read and written once per step, not three times per token,
// and a head spreads over its rows / ROWS workgroups instead of one (Qwen3.5 0.8B: 128 workgroups, not 16).
// Per token each invocation sums its columns' S·k (after the decay), k·k and q·q, the row's lanes exchange
// them through shared memory (norms: the raw sums scale linearly, S·k̂ = (S·k)·k_scale), then
// S ← S + β (v − S k̂) k̂ᵀ and o_i = S q̂ is summed the same way; the raw o goes to o_out, and
// delta_gated_norm.comp applies the gated RMSNorm afterwards. Lane l of a row owns the columns l, l + LANES,
// ...; invocation l · ROWS + r runs lane l of row r, so that neighbouring invocations load and store
// neighbouring floats of the column-major state (element (i, j) at j · rows + i). Needs the key width a
// multiple of LANES up to LANES · MAX_C and the rows a multiple of ROWS (the host checks).
// The including file (common/delta_rule_io.glsl, common/kda_rule_io.glsl) binds qkv, S and o_out, declares p
// (n_tokens, eps) and defines, for value head h:
//   uint key_dim() / value_dim()       the head's columns and rows
//   uint q_at(t, h), k_at(t, h), v_at(t, h), out_at(t, h)   where token t's q, k, v and o start in qkv / o_out
//   float token_decay(t, h), column_decay(t, h, j)   the decay of the whole state and of column j
//   float beta_of(t, h)                the update's β
#extension GL_EXT_control_flow_attributes : require
const uint ROWS = 16u, LANES = 8u, MAX_C = 32u;
layout(local_size_x = 128) in;  // ROWS · LANES
// (S·k, k·k, q·q) per invocation, then o's partial sums; by token parity, so that one token's reads never
// meet the next token's writes without a barrier between them
shared vec3 part[2][ROWS * LANES];
shared float opart[2][ROWS * LANES];

void main() {
  const uint h = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
  const uint lane = tid / ROWS, rloc = tid % ROWS, i = gl_WorkGroupID.y * ROWS + rloc;  // state row i
  const uint dk = key_dim(), dv = value_dim(), nc = dk / LANES;
  const uint s0 = h * dv * dk + i;  // element (i, j) at s0 + j · dv
  float s[MAX_C];
  [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
    if (c < nc) s[c] = S[s0 + (lane + c * LANES) * dv];
  for (uint t = 0u; t < p.n_tokens; ++t) {
    const uint par = t & 1u, qo = q_at(t, h) + lane, ko = k_at(t, h) + lane;
    const float decay = token_decay(t, h), beta = beta_of(t, h);
    vec3 mine = vec3(0.0);  // S·k (after the decay), k·k, q·q over this lane's columns
    [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
      if (c < nc) {
        const float k = qkv[ko + c * LANES], q = qkv[qo + c * LANES];
        s[c] *= decay * column_decay(t, h, lane + c * LANES);
        mine += vec3(s[c] * k, k * k, q * q);
      }
    part[par][tid] = mine;
    barrier();
    vec3 sum = vec3(0.0);
    [[unroll]] for (uint l = 0u; l < LANES; ++l) sum += part[par][l * ROWS + rloc];
    const float k_scale = 1.0 / max(sqrt(sum.y), p.eps);
    const float q_scale = 1.0 / max(sqrt(sum.z), p.eps) / sqrt(float(dk));
    const float d = (qkv[v_at(t, h) + i] - sum.x * k_scale) * beta;
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
      o_out[out_at(t, h) + i] = total;
    }
  }
  [[unroll]] for (uint c = 0u; c < MAX_C; ++c)
    if (c < nc) S[s0 + (lane + c * LANES) * dv] = s[c];
}
