#version 450
#extension GL_GOOGLE_include_directive : require
// gpt-oss's clamped SwiGLU, elementwise: g = min(gate, 7), u = clamp(up, -7, 7), out = g·σ(1.702 g)·(u + 1).
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i >= p.n) return;
  float x = min(g[i], 7.0), y = clamp(u[i], -7.0, 7.0);
  o[i] = x / (1.0 + exp(-1.702 * x)) * (y + 1.0);
}
