#version 450
#extension GL_GOOGLE_include_directive : require
// y[i] *= σ(g[i]), elementwise (Qwen3.5's attention output gates).
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer G { float g[]; };
layout(push_constant) uniform Push { uint n; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) y[i] *= 1.0 / (1.0 + exp(-g[i]));
}
