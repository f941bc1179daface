#version 450
#extension GL_GOOGLE_include_directive : require
// In place GELU, tanh approximation (as GPT-2 and ggml compute it).
#include "common/elementwise.glsl"
#include "common/gelu.glsl"
layout(std430, binding = 0) buffer D { float d[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) d[i] = gelu_tanh(d[i]);
}
