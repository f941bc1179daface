#version 450
#extension GL_GOOGLE_include_directive : require
// dst[dst_offset + (n_past + t) * row + i] = src[src_offset + t * src_stride + i]: writes this step's K, V or
// Q rows into a device-side cache at the position held in the step state. One invocation per element, flat.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer S { float s[]; };
layout(std430, binding = 1) buffer D { float d[]; };
#define STATE_BINDING 2
#include "common/state.glsl"
layout(push_constant) uniform Push { uint row; uint src_stride; uint src_offset; uint dst_offset; uint n_tokens; } p;

void main() {
  uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
  if (idx >= p.n_tokens * p.row) return;
  uint t = idx / p.row, i = idx % p.row;
  d[p.dst_offset + (st.n_past + t) * p.row + i] = s[p.src_offset + t * p.src_stride + i];
}
