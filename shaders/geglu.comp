#version 450
#extension GL_GOOGLE_include_directive : require
// out = gelu(gate) * up, elementwise (GeGLU, gemma; GELU's tanh approximation, as gelu.comp).
#include "common/elementwise.glsl"
#include "common/gelu.glsl"
layout(std430, binding = 0) readonly buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) o[i] = gelu_tanh(g[i]) * u[i];
}
