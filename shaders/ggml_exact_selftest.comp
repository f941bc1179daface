#version 450
// Checks the helpers of common/ggml_exact.glsl on this device (tests/vulkan/test_exact_arith.cpp compares
// every output with the host's IEEE result): out[i·6 + {0..5}] = fma(a, b, c), a / b, sqrt(|a|),
// ggml's expf(a), fp16(a), bf16(a).
#extension GL_GOOGLE_include_directive : require
#include "common/ggml_exact.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer In { float v[]; };  // (n, {a, b, c})
layout(std430, binding = 1) writeonly buffer Out { float o[]; };

layout(push_constant) uniform P {
  uint n;
}
p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.n) return;
  const float a = v[i * 3u], b = v[i * 3u + 1u], c = v[i * 3u + 2u];
  o[i * 6u] = ex_fma(a, b, c);
  o[i * 6u + 1u] = ex_div(a, b);
  o[i * 6u + 2u] = ex_sqrt(abs(a));
  o[i * 6u + 3u] = ex_expf(a);
  o[i * 6u + 4u] = ex_round_fp16(a);
  o[i * 6u + 5u] = ex_round_bf16(a);
}
