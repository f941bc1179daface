#version 450
#extension GL_GOOGLE_include_directive : require
// y[g * stride + i] += b[ids[g] * n + i] for each group g: a decode step's picked experts (one row each,
// stride floats apart) each add their own bias row of a stacked bias table (gpt-oss) in one dispatch.
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer B { float b[]; };  // (n_expert, n)
layout(std430, binding = 1) buffer Y { float y[]; };
layout(push_constant, std430) uniform Push {
  uint n;
  uint stride;
  uint groups;
  uint ids[8];
} p;
void main() {
  uint i = flat_index();
  if (i >= p.n * p.groups) return;
  uint g = i / p.n, c = i % p.n;
  y[g * p.stride + c] += b[p.ids[g] * p.n + c];
}
