#version 450
#extension GL_GOOGLE_include_directive : require
// out[r] = x[rows[r]] for rows of n floats: a mixture of experts' token rows gathered into each expert's
// contiguous batch (the row ids are written by the host after routing).
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Rows { uint rows[]; };
layout(std430, binding = 2) writeonly buffer Out { float out_rows[]; };
layout(push_constant) uniform Push { uint n; uint n_rows; } p;
void main() {
  uint i = flat_index();
  if (i >= p.n * p.n_rows) return;
  uint r = i / p.n, c = i % p.n;
  out_rows[i] = x[rows[r] * p.n + c];
}
