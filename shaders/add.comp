#version 450
#extension GL_GOOGLE_include_directive : require
// y += x, elementwise (residual connections).
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) buffer Y { float y[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) y[i] += x[i];
}
