#version 450
#extension GL_GOOGLE_include_directive : require
// Gemma 3n's AltUp correction: every stream s_j = pred_j + (y − pred_0)(1 + c_j), where token t's
// c_j = Σ_r coef[j·N + r] · m[t·N + r] (the correct coefficients' projection of the router's output for the
// layer's output y); the first stream times the correct scale into `first` (the per-layer input's gate
// reads it). The streams: N blocks of n_tokens rows of dim. One invocation per (token, element).
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer P { float pred[]; };
layout(std430, binding = 1) readonly buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer M { float m[]; };
layout(std430, binding = 3) readonly buffer C { float coef[]; };
layout(std430, binding = 4) readonly buffer G { float scale[]; };
layout(std430, binding = 5) writeonly buffer S { float s[]; };
layout(std430, binding = 6) writeonly buffer F { float first[]; };
layout(push_constant) uniform Push { uint n; uint dim; uint n_tokens; uint streams; } p;

void main() {
  uint g = flat_index();
  if (g >= p.n) return;  // (n = n_tokens · dim)
  uint t = g / p.dim, block = p.n_tokens * p.dim, N = p.streams;
  float innovation = y[g] - pred[g];
  for (uint j = 0u; j < N; ++j) {
    float c = 0.0;
    for (uint r = 0u; r < N; ++r) c += coef[j * N + r] * m[t * N + r];
    float v = pred[j * block + g] + innovation * (c + 1.0);
    s[j * block + g] = v;
    if (j == 0u) first[g] = v * scale[g % p.dim];
  }
}
