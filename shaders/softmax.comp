#version 450
#extension GL_GOOGLE_include_directive : require
// Row-wise softmax in place (max-shifted). One workgroup per row.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "common/reduce.glsl"
layout(std430, binding = 0) buffer D { float d[]; };
layout(push_constant) uniform Push { uint n; uint stride; } p;

void main() {
  uint o = gl_WorkGroupID.x * p.stride;
  float mx = -3.402823466e38;
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) mx = max(mx, d[o + i]);
  mx = workgroup_max(mx);
  float sum = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) {
    float e = exp(d[o + i] - mx);
    d[o + i] = e;
    sum += e;
  }
  sum = workgroup_sum(sum);
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) d[o + i] /= sum;
}
