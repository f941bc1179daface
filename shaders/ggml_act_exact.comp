#version 450
// The MLP activation of the reference-compatible mode, in place on `a`:
//   op 0 (SwiGLU): a = a / (1 + expf(-a)) · b, with ggml's exp approximation (ggml_vec_swiglu_f32)
//   op 1 (GELU):   a = ggml's fp16 GELU table at fp16(a) (0 at or below -10, identity at or above 10); the
//                  table is computed on the host by inference/cpu/ggml_rounding.cpp gelu_ggml (tanhf).
#extension GL_GOOGLE_include_directive : require
#include "common/ggml_exact.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) readonly buffer T { float table[]; };  // 65536 entries by half bits

layout(push_constant) uniform P {
  uint n, op, row_groups;
}
p;

void main() {
  const uint i = gl_GlobalInvocationID.y * p.row_groups * 64u + gl_GlobalInvocationID.x;
  if (i >= p.n) return;
  const float g = a[i];
  if (p.op == 0u) {
    precise float den = 1.0 + ex_expf(-g);
    precise float v = ex_div(g, den) * b[i];
    a[i] = v;
  } else {
    a[i] = g <= -10.0 ? 0.0 : (g >= 10.0 ? g : table[ex_half_bits(g)]);
  }
}
