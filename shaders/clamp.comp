#version 450
#extension GL_GOOGLE_include_directive : require
// y = clamp(y, -limit, limit), elementwise (OLMo 1's clip_qkv on its q, k and v projections).
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer Y { float y[]; };
layout(push_constant) uniform Push {
  uint n;
  float limit;
} p;
void main() {
  uint i = flat_index();
  if (i < p.n) y[i] = clamp(y[i], -p.limit, p.limit);
}
