#version 450
#extension GL_GOOGLE_include_directive : require
// data[r][i] *= sigmoid(gate[r]) for rows of `width` (Qwen2-MoE: its shared expert's per-token gate).
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer D { float d[]; };
layout(std430, binding = 1) readonly buffer G { float g[]; };
layout(push_constant) uniform Push { uint n, width; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) d[i] *= 1.0 / (1.0 + exp(-g[i / p.width]));
}
