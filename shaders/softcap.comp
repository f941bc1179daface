#version 450
#extension GL_GOOGLE_include_directive : require
// y = cap * tanh(y / cap), elementwise (gemma2's logits; tanh as 1 - 2/(exp(2z)+1), finite for any z).
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer Y { float y[]; };
layout(push_constant) uniform Push { uint n; float cap; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) y[i] = p.cap * (1.0 - 2.0 / (exp(2.0 * y[i] / p.cap) + 1.0));
}
