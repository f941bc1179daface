#version 450
#extension GL_GOOGLE_include_directive : require
// y = cap * tanh(y / cap), elementwise (gemma2's logits).
#include "common/elementwise.glsl"
#include "common/scores.glsl"
layout(std430, binding = 0) buffer Y { float y[]; };
layout(push_constant) uniform Push { uint n; float cap; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) y[i] = soft_capped(y[i], p.cap);
}
