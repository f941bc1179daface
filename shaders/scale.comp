#version 450
#extension GL_GOOGLE_include_directive : require
// y *= s, elementwise (gemma's embeddings times sqrt(n_embd)).
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer Y { float y[]; };
layout(push_constant) uniform Push { uint n; float s; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) y[i] *= p.s;
}
