#version 450
#extension GL_GOOGLE_include_directive : require
// y[r * stride + offset + i] += b[i] for every row r (bias after a projection, fused QKV slices included).
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer B { float b[]; };
layout(std430, binding = 1) buffer Y { float y[]; };
layout(push_constant) uniform Push { uint n; uint stride; uint offset; uint n_rows; } p;
void main() {
  uint i = flat_index();
  if (i >= p.n * p.n_rows) return;
  uint r = i / p.n, c = i % p.n;
  y[r * p.stride + p.offset + c] += b[c];
}
