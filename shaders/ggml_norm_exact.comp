#version 450
// RMSNorm / LayerNorm of one row per invocation in ggml's order of operations (reference-compatible mode):
// f32 squares (or values) summed in double, f32 mean, 1/sqrtf, then x·scale·gain (+ bias), as
// inference/cpu/kernels.cpp rmsnorm / layernorm compute them.
#extension GL_GOOGLE_include_directive : require
#include "common/ggml_exact.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer G { float gain[]; };
layout(std430, binding = 2) readonly buffer B { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform P {
  uint n, n_rows, layer_norm, has_bias;
  float eps;
}
p;

void main() {
  const uint row = gl_GlobalInvocationID.x;
  if (row >= p.n_rows) return;
  const uint o = row * p.n;
  if (p.layer_norm == 0u) {
    precise double ss = 0.0;
    for (uint i = 0; i < p.n; ++i) {
      precise float sq = x[o + i] * x[o + i];
      ss += double(sq);
    }
    precise double meand = ss / double(p.n);
    precise float mean = float(meand);
    precise float me = mean + p.eps;
    const float scale = ex_div(1.0, ex_sqrt(me));
    for (uint i = 0; i < p.n; ++i) {
      precise float v = x[o + i] * scale * gain[i];
      y[o + i] = v;
    }
    return;
  }
  precise double sum = 0.0;
  for (uint i = 0; i < p.n; ++i) sum += double(x[o + i]);
  precise double meand = sum / double(p.n);
  precise float mean = float(meand);
  precise double sum2 = 0.0;
  for (uint i = 0; i < p.n; ++i) {
    precise float v = x[o + i] - mean;
    precise float v2 = v * v;
    sum2 += double(v2);
  }
  precise double vard = sum2 / double(p.n);
  precise float variance = float(vard);
  precise float ve = variance + p.eps;
  const float scale = ex_div(1.0, ex_sqrt(ve));
  for (uint i = 0; i < p.n; ++i) {
    precise float v = (x[o + i] - mean) * scale * gain[i] + (p.has_bias != 0u ? bias[i] : 0.0);
    y[o + i] = v;
  }
}
