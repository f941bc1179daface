#version 450
// Checks common/f16_split.glsl on this device (tests/vulkan/test_exact_arith.cpp): out[2i], out[2i + 1] =
// the hi and lo operands of in[i], as f32 (each must be an f16 value, and hi + lo / F16_LO_SCALE = in[i]).
#extension GL_GOOGLE_include_directive : require
#include "common/f16_split.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer In { float v[]; };
layout(std430, binding = 1) writeonly buffer Out { vec2 o[]; };

layout(push_constant) uniform P {
  uint n;
}
p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i < p.n) o[i] = f16_split(v[i]);
}
