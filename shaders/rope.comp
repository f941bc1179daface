#version 450
#extension GL_GOOGLE_include_directive : require
// Rotary position embedding in place on [token][head][head_dim] (rows may be strided inside a fused QKV
// buffer). Position = n_past + t from the step state. Pairing: normal (llama: dims 2i, 2i+1) or NeoX (qwen2:
// dims i, i + n_rot/2); theta_i = pos * base^(-2i/n_rot); dims past n_rot are left as they are. One invocation
// per (token, head, pair), flat: few workgroups (each has a fixed cost on CPU implementations).
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer D { float d[]; };
#define STATE_BINDING 1
#include "common/state.glsl"
layout(push_constant) uniform Push {
  uint n_heads;
  uint head_dim;
  uint n_rot;
  uint row_stride;  // elements between tokens
  uint offset;      // element offset of head 0 of token 0
  uint neox;
  float freq_base;
  uint n_tokens;
} p;

void main() {
  uint half_rot = p.n_rot / 2u;
  uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
  if (idx >= p.n_tokens * p.n_heads * half_rot) return;
  uint i = idx % half_rot, th = idx / half_rot;
  uint h = th % p.n_heads, t = th / p.n_heads;
  float pos = float(st.n_past + t);
  uint base = p.offset + t * p.row_stride + h * p.head_dim;
  float theta = pos * pow(p.freq_base, -2.0 * float(i) / float(p.n_rot));
  float c = cos(theta), s = sin(theta);
  uint i0 = p.neox != 0u ? base + i : base + 2u * i;
  uint i1 = p.neox != 0u ? i0 + half_rot : i0 + 1u;
  float x0 = d[i0], x1 = d[i1];
  d[i0] = x0 * c - x1 * s;
  d[i1] = x0 * s + x1 * c;
}
