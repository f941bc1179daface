#version 450
#extension GL_GOOGLE_include_directive : require
// In place GELU, tanh approximation (as GPT-2 and ggml compute it).
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer D { float d[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i >= p.n) return;
  float x = d[i];
  // tanh(z) as 1 - 2/(exp(2z)+1): finite for any z, where GLSL tanh may return NaN for large |z|.
  float z = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  d[i] = 0.5 * x * (2.0 - 2.0 / (exp(2.0 * z) + 1.0));
}
