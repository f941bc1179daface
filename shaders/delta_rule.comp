#version 450
#extension GL_GOOGLE_include_directive : require
// The gated delta rule of a delta-net layer (Qwen3.5) over this step's tokens, one workgroup per value head h
// (key head h % n_k_heads, as llama.cpp lays them out). Per token: the key head's q and k L2-normalized
// (divided by max(‖x‖, eps)), q times 1/√head_k_dim; g = softplus(α + dt_bias[h]) · a[h], β = σ(β logit); then
// with the head's state S (head_v_dim rows over head_k_dim columns, kept in `state`): S ← e^g S,
// S ← S + β (v − S k) kᵀ, o = S q; o RMS-normalized with the norm's gains, times SiLU(z). Each invocation owns
// state rows tid, tid + 64, ... (no other invocation touches them); q, k and o pass through shared memory.
// The state is stored column by column (element (i, j) at j · head_v_dim + i), so that the invocations
// walking their rows read neighbouring floats at each step (coalesced on GPUs).
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer QKV { float qkv[]; };      // (n_tokens, 2·key_dim + value_dim)
layout(std430, binding = 1) readonly buffer Z { float z[]; };          // (n_tokens, value_dim)
layout(std430, binding = 2) readonly buffer Beta { float beta_in[]; }; // (n_tokens, n_v_heads) logits
layout(std430, binding = 3) readonly buffer Alpha { float alpha[]; };  // (n_tokens, n_v_heads)
layout(std430, binding = 4) readonly buffer DtBias { float dt_bias[]; };
layout(std430, binding = 5) readonly buffer A { float a_log[]; };      // −exp(A_log) per value head
layout(std430, binding = 6) readonly buffer Norm { float norm_w[]; };  // (head_v_dim)
layout(std430, binding = 7) buffer State { float S[]; };               // (n_v_heads, head_v_dim, head_k_dim)
layout(std430, binding = 8) writeonly buffer Out { float o_out[]; };   // (n_tokens, value_dim)
layout(push_constant) uniform Push {
  uint n_tokens;
  uint n_k_heads;
  uint n_v_heads;
  uint dk;
  uint dv;
  float eps;
  uint grouped;  // Qwen3-Next: key head h / (n_v / n_k), β and α packed per key head in one row of 2·n_v
} p;
const uint kMaxDim = 256;
const uint kThreads = 64;
shared float q_sh[kMaxDim];
shared float k_sh[kMaxDim];
shared float o_sh[kMaxDim];
shared float red[2 * kThreads];

void main() {
  const uint h = gl_WorkGroupID.x, tid = gl_LocalInvocationID.x;
  const uint r = p.n_v_heads / p.n_k_heads;
  const uint kh = p.grouped != 0u ? h / r : h % p.n_k_heads;
  const uint key_dim = p.n_k_heads * p.dk, value_dim = p.n_v_heads * p.dv;
  const uint ba_width = p.grouped != 0u ? 2u * p.n_v_heads : p.n_v_heads;
  const uint b_at = p.grouped != 0u ? (h / r) * 2u * r + h % r : h;
  const uint a_at = p.grouped != 0u ? b_at + r : h;
  const uint channels = 2u * key_dim + value_dim;
  const uint state0 = h * p.dv * p.dk;
  for (uint t = 0; t < p.n_tokens; ++t) {
    const uint row = t * channels;
    float qq = 0.0, kk = 0.0;
    for (uint j = tid; j < p.dk; j += kThreads) {
      const float q = qkv[row + kh * p.dk + j], k = qkv[row + key_dim + kh * p.dk + j];
      q_sh[j] = q;
      k_sh[j] = k;
      qq += q * q;
      kk += k * k;
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
    const float q_scale = 1.0 / max(sqrt(red[0]), p.eps) / sqrt(float(p.dk));
    const float k_scale = 1.0 / max(sqrt(red[kThreads]), p.eps);
    const float pre = alpha[t * ba_width + a_at] + dt_bias[h];
    const float softplus = pre > 20.0 ? pre : log(1.0 + exp(pre));
    const float decay = exp(softplus * a_log[h]);
    const float beta = 1.0 / (1.0 + exp(-beta_in[t * ba_width + b_at]));
    for (uint i = tid; i < p.dv; i += kThreads) {
      const uint r = state0 + i;
      float sk = 0.0;
      for (uint j = 0; j < p.dk; ++j) {
        const float s = S[r + j * p.dv] * decay;
        S[r + j * p.dv] = s;
        sk += s * (k_sh[j] * k_scale);
      }
      const float d = (qkv[row + 2u * key_dim + h * p.dv + i] - sk) * beta;
      float o = 0.0;
      for (uint j = 0; j < p.dk; ++j) {
        const float s = S[r + j * p.dv] + (k_sh[j] * k_scale) * d;
        S[r + j * p.dv] = s;
        o += s * (q_sh[j] * q_scale);
      }
      o_sh[i] = o;
    }
    barrier();
    float oo = 0.0;
    for (uint i = tid; i < p.dv; i += kThreads) oo += o_sh[i] * o_sh[i];
    red[tid] = oo;
    barrier();
    for (uint s = kThreads / 2; s > 0; s >>= 1) {
      if (tid < s) red[tid] += red[tid + s];
      barrier();
    }
    const float scale = 1.0 / sqrt(red[0] / float(p.dv) + p.eps);
    for (uint i = tid; i < p.dv; i += kThreads) {
      const float g = z[t * value_dim + h * p.dv + i];
      o_out[t * value_dim + h * p.dv + i] = o_sh[i] * scale * norm_w[i] * (g / (1.0 + exp(-g)));
    }
    barrier();  // (q_sh, k_sh, o_sh and red are the next token's)
  }
}
