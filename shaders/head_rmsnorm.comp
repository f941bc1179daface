#version 450
#extension GL_GOOGLE_include_directive : require
// RMSNorm of every q and k head of this step's tokens, in place (qwen3's attn_q_norm and attn_k_norm, applied
// before RoPE): h[i] = h[i] / sqrt(mean(h^2) + eps) * gain[i] over the head's head_dim elements, one gain
// vector for all q heads and one for all k heads. One workgroup per (head, token): x counts the q heads and
// then the k heads, y the tokens. q and k may be views of one fused q|k|v buffer (bound twice; the heads are
// disjoint).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "common/reduce.glsl"
layout(std430, binding = 0) buffer Q { float q[]; };
layout(std430, binding = 1) buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer QG { float q_gain[]; };
layout(std430, binding = 3) readonly buffer KG { float k_gain[]; };
layout(push_constant) uniform Push {
  uint n_heads;
  uint head_dim;
  uint q_stride;  // elements between tokens in q and in k
  uint q_offset;
  uint k_stride;
  uint k_offset;
  float eps;
} p;

void main() {
  const uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y, n = p.head_dim;
  const bool is_q = h < p.n_heads;
  const uint o = is_q ? p.q_offset + t * p.q_stride + h * n : p.k_offset + t * p.k_stride + (h - p.n_heads) * n;
  float ss = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < n; i += WG) {
    const float v = is_q ? q[o + i] : k[o + i];
    ss += v * v;
  }
  const float scale = inversesqrt(workgroup_sum(ss) / float(n) + p.eps);
  for (uint i = gl_LocalInvocationID.x; i < n; i += WG) {
    if (is_q)
      q[o + i] = q[o + i] * scale * q_gain[i];
    else
      k[o + i] = k[o + i] * scale * k_gain[i];
  }
}
