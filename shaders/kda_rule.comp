#version 450
#extension GL_GOOGLE_include_directive : require
// Kimi Delta Attention (Kimi Linear) over this step's tokens, one workgroup per head h: the gated delta rule
// with a decay per key channel. Per token: the head's q and k L2-normalized (divided by max(‖x‖, eps)), q
// times 1/√head_dim; each key channel j's decay e^{g_j} with g_j = a[h] · softplus(g_in_j + dt_bias_j) and
// β = σ(β logit); then with the head's state S (head_dim value rows over head_dim key columns, kept in
// `state`): S ← S·diag(e^g) (column j decays by its own channel, where delta_rule.comp decays the whole state
// by one number), S ← S + β (v − S k) kᵀ, o = S q; o RMS-normalized with the norm's gains, times σ(z) (a
// sigmoid, not Qwen3.5's SiLU). q, k and v are the convolutions' outputs as three planes of n_tokens rows.
// Each invocation owns state rows tid, tid + 64, ... (no other invocation touches them); q, k, the decays and
// o pass through shared memory. The state is stored column by column (element (i, j) at j · head_dim + i), as
// delta_rule.comp stores it, so that the invocations walking their rows read neighbouring floats.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer QKV { float qkv[]; };      // 3 planes of (n_tokens, inner)
layout(std430, binding = 1) readonly buffer G { float g_in[]; };       // (n_tokens, inner) f_b · f_a · x
layout(std430, binding = 2) readonly buffer Z { float z[]; };          // (n_tokens, inner) the gate's logits
layout(std430, binding = 3) readonly buffer Beta { float beta_in[]; }; // (n_tokens, n_heads) logits
layout(std430, binding = 4) readonly buffer DtBias { float dt_bias[]; };  // (inner)
layout(std430, binding = 5) readonly buffer A { float a_log[]; };      // −exp(A_log) per head
layout(std430, binding = 6) readonly buffer Norm { float norm_w[]; };  // (head_dim)
layout(std430, binding = 7) buffer State { float S[]; };               // (n_heads, head_dim, head_dim)
layout(std430, binding = 8) writeonly buffer Out { float o_out[]; };   // (n_tokens, inner)
layout(push_constant) uniform Push {
  uint n_tokens;
  uint n_heads;
  uint d;  // head_dim, of q, k and v alike
  float eps;
} p;
const uint kMaxDim = 256;
const uint kThreads = 64;
shared float q_sh[kMaxDim];
shared float k_sh[kMaxDim];
shared float decay_sh[kMaxDim];
shared float o_sh[kMaxDim];
shared float red[2 * kThreads];

void main() {
  const uint h = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
  const uint inner = p.n_heads * p.d, plane = p.n_tokens * inner;
  const uint state0 = h * p.d * p.d;
  for (uint t = 0; t < p.n_tokens; ++t) {
    const uint row = t * inner + h * p.d;
    float qq = 0.0, kk = 0.0;
    for (uint j = tid; j < p.d; j += kThreads) {
      const float q = qkv[row + j], k = qkv[plane + row + j];
      q_sh[j] = q;
      k_sh[j] = k;
      qq += q * q;
      kk += k * k;
      const float pre = g_in[row + j] + dt_bias[h * p.d + j];
      const float softplus = pre > 20.0 ? pre : log(1.0 + exp(pre));
      decay_sh[j] = exp(softplus * a_log[h]);
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
    const float q_scale = 1.0 / max(sqrt(red[0]), p.eps) / sqrt(float(p.d));
    const float k_scale = 1.0 / max(sqrt(red[kThreads]), p.eps);
    const float beta = 1.0 / (1.0 + exp(-beta_in[t * p.n_heads + h]));
    for (uint i = tid; i < p.d; i += kThreads) {
      const uint r = state0 + i;
      float sk = 0.0;
      for (uint j = 0; j < p.d; ++j) {
        const float s = S[r + j * p.d] * decay_sh[j];
        S[r + j * p.d] = s;
        sk += s * (k_sh[j] * k_scale);
      }
      const float dlt = (qkv[2u * plane + row + i] - sk) * beta;
      float o = 0.0;
      for (uint j = 0; j < p.d; ++j) {
        const float s = S[r + j * p.d] + (k_sh[j] * k_scale) * dlt;
        S[r + j * p.d] = s;
        o += s * (q_sh[j] * q_scale);
      }
      o_sh[i] = o;
    }
    barrier();
    float oo = 0.0;
    for (uint i = tid; i < p.d; i += kThreads) oo += o_sh[i] * o_sh[i];
    red[tid] = oo;
    barrier();
    for (uint s = kThreads / 2; s > 0; s >>= 1) {
      if (tid < s) red[tid] += red[tid + s];
      barrier();
    }
    const float scale = 1.0 / sqrt(red[0] / float(p.d) + p.eps);
    for (uint i = tid; i < p.d; i += kThreads)
      o_out[row + i] = o_sh[i] * scale * norm_w[i] / (1.0 + exp(-z[row + i]));
    barrier();  // (q_sh, k_sh, decay_sh, o_sh and red are the next token's)
  }
}
