#version 450
#extension GL_GOOGLE_include_directive : require
// y = relu(y)², elementwise (Nemotron-H's FFN activation).
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer Y { float y[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) {
    const float r = max(y[i], 0.0);
    y[i] = r * r;
  }
}
