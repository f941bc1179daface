#version 450
#extension GL_GOOGLE_include_directive : require
// y[t] = y[t] · |ref[t]| / |y[t]| (L2 norms of the rows): Gemma 3n's AltUp streams brought to the first
// stream's magnitude. One workgroup per row.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "common/reduce.glsl"
layout(std430, binding = 0) buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer R { float ref[]; };
layout(push_constant) uniform Push { uint n; } p;

void main() {
  uint o = gl_WorkGroupID.x * p.n;
  float sy = 0.0, sr = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) {
    sy += y[o + i] * y[o + i];
    sr += ref[o + i] * ref[o + i];
  }
  float target = sqrt(workgroup_sum(sr)), mag = sqrt(workgroup_sum(sy));
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) y[o + i] = y[o + i] * target / mag;
}
