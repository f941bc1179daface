#version 450
#extension GL_GOOGLE_include_directive : require
// x[t] += sum over ranks r of weights[t * k + r] * y[slots[t * k + r]], for rows of n floats: each token's
// chosen experts' outputs (rows of the experts' batches) weighted and summed in the order of the choice (as
// the CPU engine does), then added to the residual stream.
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer Slots { uint slots[]; };
layout(std430, binding = 2) readonly buffer Weights { float weights[]; };
layout(std430, binding = 3) buffer X { float x[]; };
layout(push_constant) uniform Push { uint n; uint n_tokens; uint k; } p;
void main() {
  uint i = flat_index();
  if (i >= p.n * p.n_tokens) return;
  uint t = i / p.n, c = i % p.n;
  float sum = 0.0;
  for (uint r = 0u; r < p.k; ++r) {
    float v = y[slots[t * p.k + r] * p.n + c] * weights[t * p.k + r];
    sum = r == 0u ? v : sum + v;
  }
  x[i] += sum;
}
