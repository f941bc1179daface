#version 450
#extension GL_GOOGLE_include_directive : require
// The gated norm after delta_rule_rows.comp and kda_rule_rows.comp, in place: each value head's o (head_v_dim
// floats of a token) becomes RMSNorm(o) · gains · SiLU(z), as delta_rule.comp ends, or · σ(z) with
// `sigmoid` (Kimi Delta Attention, as kda_rule.comp ends). One workgroup per (token, value head).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "common/reduce.glsl"
layout(std430, binding = 0) readonly buffer Z { float z[]; };          // (n_tokens, value_dim)
layout(std430, binding = 1) readonly buffer Norm { float norm_w[]; };  // (head_v_dim)
layout(std430, binding = 2) buffer Out { float o[]; };                 // (n_tokens, value_dim)
layout(push_constant) uniform Push {
  uint n_v_heads;
  uint dv;
  float eps;
  uint sigmoid;
} p;

void main() {
  const uint base = (gl_WorkGroupID.x * p.n_v_heads + gl_WorkGroupID.y) * p.dv;
  float ss = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < p.dv; i += WG) ss += o[base + i] * o[base + i];
  const float scale = 1.0 / sqrt(workgroup_sum(ss) / float(p.dv) + p.eps);
  for (uint i = gl_LocalInvocationID.x; i < p.dv; i += WG) {
    const float g = z[base + i];
    o[base + i] = o[base + i] * scale * norm_w[i] * ((p.sigmoid != 0u ? 1.0 : g) / (1.0 + exp(-g)));
  }
}
