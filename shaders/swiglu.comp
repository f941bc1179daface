#version 450
#extension GL_GOOGLE_include_directive : require
// out = silu(gate) * up, elementwise.
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) o[i] = g[i] / (1.0 + exp(-g[i])) * u[i];
}
