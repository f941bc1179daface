#version 450
// RMSNorm of every q and k head of this step's tokens, in place (qwen3's attn_q_norm and attn_k_norm, applied
// before RoPE): h[i] = h[i] / sqrt(mean(h^2) + eps) * gain[i] over the head's head_dim elements, one gain
// vector for all q heads and one for all k heads. One invocation per (token, head), the q heads first then
// the k heads, each looping over its head: a head is only head_dim floats, and a workgroup reduction would
// need barriers, which cost llvmpipe (lavapipe) ~100 us per dispatch. q and k may be views of one fused
// q|k|v buffer (bound twice; the heads are disjoint).
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Q { float q[]; };
layout(std430, binding = 1) buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer QG { float q_gain[]; };
layout(std430, binding = 3) readonly buffer KG { float k_gain[]; };
layout(push_constant) uniform Push {
  uint n_tokens;
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint q_stride;  // elements between tokens in q and in k
  uint q_offset;
  uint k_stride;
  uint k_offset;
  float eps;
} p;

void main() {
  const uint heads = p.n_heads + p.n_kv_heads;
  const uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
  if (idx >= p.n_tokens * heads) return;
  const uint t = idx / heads, h = idx % heads, n = p.head_dim;
  if (h < p.n_heads) {
    const uint o = p.q_offset + t * p.q_stride + h * n;
    float ss = 0.0;
    for (uint i = 0u; i < n; ++i) ss += q[o + i] * q[o + i];
    const float scale = inversesqrt(ss / float(n) + p.eps);
    for (uint i = 0u; i < n; ++i) q[o + i] = q[o + i] * scale * q_gain[i];
  } else {
    const uint o = p.k_offset + t * p.k_stride + (h - p.n_heads) * n;
    float ss = 0.0;
    for (uint i = 0u; i < n; ++i) ss += k[o + i] * k[o + i];
    const float scale = inversesqrt(ss / float(n) + p.eps);
    for (uint i = 0u; i < n; ++i) k[o + i] = k[o + i] * scale * k_gain[i];
  }
}
