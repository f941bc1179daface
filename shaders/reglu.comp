#version 450
#extension GL_GOOGLE_include_directive : require
// out = relu(gate) * up, elementwise (ReGLU: SmallThinker's experts).
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) o[i] = max(g[i], 0.0) * u[i];
}
