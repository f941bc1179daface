#version 450
// RMSNorm of every q and k head of this step's tokens, in place (qwen3's attn_q_norm and attn_k_norm, applied
// before RoPE): h[i] = h[i] / sqrt(mean(h^2) + eps) * gain[i] over the head's head_dim elements, one gain
// vector for all q heads and one for all k heads. One invocation per (token, head), the q heads first then
// the k heads, each looping over its head: a head is only head_dim floats, and a workgroup reduction would
// need barriers, which cost llvmpipe (lavapipe) ~100 us per dispatch. q and k may be views of one fused
// q|k|v buffer (bound twice; the heads are disjoint).
// With layer_norm set (StableLM 2 12B, Command R+), each head is LayerNorm'd instead: mean-centred first,
// h[i] = (h[i] - mean) / sqrt(var + eps) * gain[i], no bias; with per_head_gains set, head j reads its own
// gains at gain[j * head_dim] (those models' [head_dim, n_head] tensors).
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
  uint layer_norm;
  uint per_head_gains;
} p;

// mean of the head at o where it is LayerNorm'd, else 0 (RMSNorm)
float head_mean(uint o, uint n, bool is_q) {
  if (p.layer_norm == 0u) return 0.0;
  float s = 0.0;
  for (uint i = 0u; i < n; ++i) s += is_q ? q[o + i] : k[o + i];
  return s / float(n);
}

void main() {
  const uint heads = p.n_heads + p.n_kv_heads;
  const uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
  if (idx >= p.n_tokens * heads) return;
  const uint t = idx / heads, h = idx % heads, n = p.head_dim;
  if (h < p.n_heads) {
    const uint o = p.q_offset + t * p.q_stride + h * n, g = p.per_head_gains != 0u ? h * n : 0u;
    const float mean = head_mean(o, n, true);
    float ss = 0.0;
    for (uint i = 0u; i < n; ++i) ss += (q[o + i] - mean) * (q[o + i] - mean);
    const float scale = inversesqrt(ss / float(n) + p.eps);
    for (uint i = 0u; i < n; ++i) q[o + i] = (q[o + i] - mean) * scale * q_gain[g + i];
  } else {
    const uint o = p.k_offset + t * p.k_stride + (h - p.n_heads) * n;
    const uint g = p.per_head_gains != 0u ? (h - p.n_heads) * n : 0u;
    const float mean = head_mean(o, n, false);
    float ss = 0.0;
    for (uint i = 0u; i < n; ++i) ss += (k[o + i] - mean) * (k[o + i] - mean);
    const float scale = inversesqrt(ss / float(n) + p.eps);
    for (uint i = 0u; i < n; ++i) k[o + i] = (k[o + i] - mean) * scale * k_gain[g + i];
  }
}
