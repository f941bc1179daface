#version 450
// out[t][h·hd + i] = Σ_j prob_j · v_j[i] over the causal keys, in ggml's F16 V product order: 8 lanes (lane =
// key index mod 8) accumulated with FMA, then ggml's horizontal sum. One invocation per output element.
#extension GL_GOOGLE_include_directive : require
#include "common/ggml_exact.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer S { float att[]; };  // (n_tokens, n_heads, n_ctx)
layout(std430, binding = 1) readonly buffer VC { float vc[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };  // (n_tokens, n_heads·head_dim)

layout(push_constant) uniform P {
  uint n_heads, n_kv_heads, head_dim, n_ctx, n_past, n_tokens;
}
p;

void main() {
  const uint e = gl_GlobalInvocationID.x, t = gl_GlobalInvocationID.y;
  const uint q_dim = p.n_heads * p.head_dim, kv_dim = p.n_kv_heads * p.head_dim;
  if (e >= q_dim) return;
  const uint h = e / p.head_dim, i = e % p.head_dim, kvh = h / (p.n_heads / p.n_kv_heads);
  const uint pos = p.n_past + t, so = (t * p.n_heads + h) * p.n_ctx;
  float acc[8] = float[8](0, 0, 0, 0, 0, 0, 0, 0);
  const uint vo = kvh * p.head_dim + i;
  for (uint j = 0; j <= pos; ++j) acc[j & 7u] = ex_fma(att[so + j], vc[j * kv_dim + vo], acc[j & 7u]);
  o[t * q_dim + e] = ex_hsum8(acc);
}
