#version 450
#extension GL_GOOGLE_include_directive : require
// Gemma 3n's AltUp prediction of every stream from all of them: pred_j = s_j + Σ_k C[j][k] s_k, where token
// t's C[j][k] = Σ_r coef[(j·N + k)·N + r] · m[t·N + r] (the predict coefficients' projection of its router
// output); pred_0, the stream the layer runs, also into x. The streams: N blocks of n_tokens rows of dim.
// One invocation per (token, element).
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer S { float s[]; };
layout(std430, binding = 1) readonly buffer M { float m[]; };
layout(std430, binding = 2) readonly buffer C { float coef[]; };
layout(std430, binding = 3) writeonly buffer P { float pred[]; };
layout(std430, binding = 4) writeonly buffer X { float x[]; };
layout(push_constant) uniform Push { uint n; uint dim; uint n_tokens; uint streams; } p;

void main() {
  uint g = flat_index();
  if (g >= p.n) return;  // (n = n_tokens · dim)
  uint t = g / p.dim, block = p.n_tokens * p.dim, N = p.streams;
  for (uint j = 0u; j < N; ++j) {
    float sum = 0.0;
    for (uint k = 0u; k < N; ++k) {
      float c = 0.0;
      for (uint r = 0u; r < N; ++r) c += coef[(j * N + k) * N + r] * m[t * N + r];
      sum += c * s[k * block + g];
    }
    float v = s[j * block + g] + sum;
    pred[j * block + g] = v;
    if (j == 0u) x[g] = v;
  }
}
