#version 450
#extension GL_GOOGLE_include_directive : require
// data[r][i] *= factors[r] for rows of `width` (Llama 4: each expert's input rows times the router's weight).
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer D { float d[]; };
layout(std430, binding = 1) readonly buffer F { float f[]; };
layout(push_constant) uniform Push { uint n, width; } p;
void main() {
  uint i = flat_index();
  if (i < p.n) d[i] *= f[i / p.width];
}
