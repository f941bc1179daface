#version 450
#extension GL_GOOGLE_include_directive : require
// out = gelu(gate) * up, elementwise (GeGLU, gemma; GELU's tanh approximation, as gelu.comp).
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i >= p.n) return;
  float x = g[i];
  // tanh(z) as 1 - 2/(exp(2z)+1), as gelu.comp: finite for any z, where GLSL tanh may return NaN for large |z|
  float z = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  o[i] = 0.5 * x * (2.0 - 2.0 / (exp(2.0 * z) + 1.0)) * u[i];
}
