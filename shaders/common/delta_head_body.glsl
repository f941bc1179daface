// The delta rule with one workgroup per head (delta_rule.comp: Qwen3.5's gated delta rule; kda_rule.comp:
// Kimi Delta Attention, a decay per key column), the CPU devices' kernel. Per token: the head's q and k
// L2-normalized (divided by max(‖x‖, eps)), q times 1/√key_dim; then with the head's state S (value rows over
// key columns): S ← S·diag(decay) (the whole state's decay times column j's own), S ← S + β (v − S k) kᵀ,
// o = S q; o RMS-normalized with the norm's gains, times gate(z). Each invocation owns state rows tid,
// tid + 64, ... (no other invocation touches them); q, k, the decays and o pass through shared memory. The
// state is stored column by column (element (i, j) at j · value_dim + i), so that the invocations walking
// their rows read neighbouring floats at each step (coalesced on GPUs).
// The including file binds qkv, z, norm_w, S and o_out, declares p (n_tokens, eps) and defines the hooks that
// common/delta_rows_body.glsl lists, and float gate(z).
layout(local_size_x = 64) in;
const uint kMaxDim = 256;
const uint kThreads = 64;
shared float q_sh[kMaxDim];
shared float k_sh[kMaxDim];
shared float decay_sh[kMaxDim];
shared float o_sh[kMaxDim];
shared float red[2 * kThreads];

void main() {
  const uint h = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
  const uint dk = key_dim(), dv = value_dim();
  const uint state0 = h * dv * dk;
  for (uint t = 0; t < p.n_tokens; ++t) {
    const uint qo = q_at(t, h), ko = k_at(t, h), vo = v_at(t, h), oo_at = out_at(t, h);
    const float decay = token_decay(t, h);
    float qq = 0.0, kk = 0.0;
    for (uint j = tid; j < dk; j += kThreads) {
      const float q = qkv[qo + j], k = qkv[ko + j];
      q_sh[j] = q;
      k_sh[j] = k;
      qq += q * q;
      kk += k * k;
      decay_sh[j] = decay * column_decay(t, h, j);
    }
    red[tid] = qq;
    red[kThreads + tid] = kk;
    barrier();
    for (uint s = kThreads / 2; s > 0; s >>= 1) {
      if (tid < s) {
        red[tid] += red[tid + s];
        red[kThreads + tid] += red[kThreads + tid + s];
      }
      barrier();
    }
    const float q_scale = 1.0 / max(sqrt(red[0]), p.eps) / sqrt(float(dk));
    const float k_scale = 1.0 / max(sqrt(red[kThreads]), p.eps);
    const float beta = beta_of(t, h);
    for (uint i = tid; i < dv; i += kThreads) {
      const uint r = state0 + i;
      float sk = 0.0;
      for (uint j = 0; j < dk; ++j) {
        const float s = S[r + j * dv] * decay_sh[j];
        S[r + j * dv] = s;
        sk += s * (k_sh[j] * k_scale);
      }
      const float d = (qkv[vo + i] - sk) * beta;
      float o = 0.0;
      for (uint j = 0; j < dk; ++j) {
        const float s = S[r + j * dv] + (k_sh[j] * k_scale) * d;
        S[r + j * dv] = s;
        o += s * (q_sh[j] * q_scale);
      }
      o_sh[i] = o;
    }
    barrier();
    float oo = 0.0;
    for (uint i = tid; i < dv; i += kThreads) oo += o_sh[i] * o_sh[i];
    red[tid] = oo;
    barrier();
    for (uint s = kThreads / 2; s > 0; s >>= 1) {
      if (tid < s) red[tid] += red[tid + s];
      barrier();
    }
    const float scale = 1.0 / sqrt(red[0] / float(dv) + p.eps);
    for (uint i = tid; i < dv; i += kThreads)
      o_out[oo_at + i] = o_sh[i] * scale * norm_w[i] * gate(z[oo_at + i]);
    barrier();  // (q_sh, k_sh, decay_sh, o_sh and red are the next token's)
  }
}
