#version 450
#extension GL_GOOGLE_include_directive : require
// y[t] = (x[t] - mean) / sqrt(var + eps) * w + b. One workgroup per token.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "common/reduce.glsl"
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) readonly buffer B { float b[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Push { uint n; uint x_stride; uint y_stride; float eps; } p;

void main() {
  uint xo = gl_WorkGroupID.x * p.x_stride, yo = gl_WorkGroupID.x * p.y_stride;
  float s = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) s += x[xo + i];
  float mean = workgroup_sum(s) / float(p.n);
  float ss = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) ss += (x[xo + i] - mean) * (x[xo + i] - mean);
  float scale = inversesqrt(workgroup_sum(ss) / float(p.n) + p.eps);
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) y[yo + i] = (x[xo + i] - mean) * scale * w[i] + b[i];
}
