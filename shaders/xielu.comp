#version 450
#extension GL_GOOGLE_include_directive : require
// y = xielu(y), elementwise (Apertus's FFN activation) with one layer's parameters folded as llama.cpp folds
// them (ModelDescription::XIelu): a_p·y² + beta·y for y > 0, else (expm1(min(y, eps)) − y)·a_n + beta·y.
#include "common/elementwise.glsl"
layout(std430, binding = 0) buffer Y { float y[]; };
layout(push_constant) uniform Push {
  uint n;
  float a_n, a_p, beta, eps;
} p;

// e^x − 1 without the cancellation of exp(x) − 1 near 0 (Kahan's: the rounding of u = e^x cancels in
// (u − 1)·x / log(u))
float expm1_accurate(float x) {
  const float u = exp(x);
  if (u == 1.0) return x;
  const float um1 = u - 1.0;
  if (um1 == -1.0) return -1.0;
  return um1 * x / log(u);
}

void main() {
  uint i = flat_index();
  if (i < p.n) {
    const float v = y[i];
    y[i] = v > 0.0 ? p.a_p * v * v + p.beta * v : (expm1_accurate(min(v, p.eps)) - v) * p.a_n + p.beta * v;
  }
}
