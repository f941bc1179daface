#version 450
#extension GL_GOOGLE_include_directive : require
// Gemma 3n's Gaussian top-k on an FFN gate row: g = max(g − (mean + std · q), 0), the std the sample one
// (n − 1), q the normal distribution's quantile of the target sparsity. One workgroup per row.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "common/reduce.glsl"
layout(std430, binding = 0) buffer G { float g[]; };
layout(push_constant) uniform Push { uint n; float q; } p;

void main() {
  uint o = gl_WorkGroupID.x * p.n;
  float s = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) s += g[o + i];
  float mean = workgroup_sum(s) / float(p.n);
  float v = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) v += (g[o + i] - mean) * (g[o + i] - mean);
  float cutoff = mean + sqrt(workgroup_sum(v) / float(p.n - 1u)) * p.q;
  for (uint i = gl_LocalInvocationID.x; i < p.n; i += WG) g[o + i] = max(g[o + i] - cutoff, 0.0);
}
